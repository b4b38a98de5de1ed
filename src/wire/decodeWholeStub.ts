import type { decodeWhole as decode } from './decodeWhole';

/**
 * What a browser bundle of the package gets for decodeWhole (package.json's `imports`,
 * `#decodeWhole` under any condition but `node`): a page holds a stream or two, so each keeps a
 * decoder of its own, and the shared one's code would cost every app its bytes.
 */
export const decodeWhole: typeof decode = () => undefined;
