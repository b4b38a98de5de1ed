import type { readNodeStream as read } from './readNodeStream';

/**
 * What a browser bundle gets for readNodeStream (package.json's `imports` `#nodeReader` and
 * `browser` field): no Node stream can occur there, so nothing is read this way, and the engine
 * reads every other input as before.
 */
export const readNodeStream: typeof read = () => undefined;
