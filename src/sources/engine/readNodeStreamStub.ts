import type { readNodeStream as read } from './readNodeStream';

/**
 * What a browser bundle of the package gets for readNodeStream (package.json's `imports`,
 * `#nodeReader` under any condition but `node`): no Node stream can occur there, so nothing is
 * read this way, and the engine reads every other input as before. (A bundle of the sources, as
 * the tests and benches make, holds the reader itself.)
 */
export const readNodeStream: typeof read = () => undefined;
