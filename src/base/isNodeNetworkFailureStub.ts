import type { isNodeNetworkFailure as isNode } from './isNodeNetworkFailure';

/**
 * What a browser bundle of the package gets for isNodeNetworkFailure (package.json's `imports`,
 * `#nodeNetworkFailure` under any condition but `node`): a page's fetch fails in the browsers'
 * words, which isNetworkFailure reads itself; undici's and Deno's words and socket error codes
 * never reach it, and their patterns would cost every app ~0.2 KB.
 */
export const isNodeNetworkFailure: typeof isNode = () => false;
