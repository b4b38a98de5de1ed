/**
 * What undici's and Deno's `fetch` throw when the request or the body read fails in transit:
 * undici "fetch failed" and "terminated", Deno "error sending request ..." and "error reading a
 * body from connection ...". (The browsers' words are in isNetworkFailure.)
 */
const fetchFailureMessage =
  /^(?:fetch failed|terminated|error sending request\b.*|error reading a body from connection\b.*)$/i;

/** Socket-level error codes of Node, undici and the streams they feed. */
const socketErrorCode =
  /^(?:ECONN|EPIPE|ETIMEDOUT|ENOTFOUND|EAI_AGAIN|ENETUNREACH|ENETDOWN|EHOSTUNREACH|EHOSTDOWN|UND_ERR|ERR_STREAM_PREMATURE_CLOSE$)/;

/**
 * The network failures only a server runtime's fetch and sockets give (`isNetworkFailure` asks
 * after the browsers' words): a TypeError in undici's or Deno's words, or a socket error code on
 * the error or a few causes down (undici: TypeError → SocketError).
 *
 * Node-only code, imported by errors.ts as `#nodeNetworkFailure` in dist/ (package.json's
 * `imports`): a browser bundle gets isNodeNetworkFailureStub, since no socket error reaches a
 * page's fetch. (A bundle of the sources, as the tests and benches make, holds this one.)
 */
export function isNodeNetworkFailure(error: { name?: unknown; message: string }): boolean {
  if (error.name === 'TypeError' && fetchFailureMessage.test(error.message)) return true;
  let current: unknown = error;
  for (let depth = 0; depth < 4 && typeof current === 'object' && current !== null; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && socketErrorCode.test(code)) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}
