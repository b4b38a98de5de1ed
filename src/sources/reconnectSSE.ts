import type { Observable } from 'rxjs';
import type { RxllmEvent } from '../base/events';
import { RxllmError } from '../base/errors';
import type { DialectInput } from '../wire/registry';
import type { Dialect } from '../wire/types';
import type { StreamLimits } from '../base/limits';
import { decoderOptionsOf } from './engine/sourceFromBytes';
import { checkReconnect, reconnectingSSE } from './engine/reconnectingSSE';
import { isClientRequest } from './engine/isClientRequest';
import type { StreamInput } from './engine/StreamInput';

/** Options of {@link reconnectSSE}. */
export interface ReconnectSSEConfig {
  /** Reconnects in all, for one subscription. Default 3; 0 never reconnects. */
  maxReconnects?: number;
  /** Wait before the first reconnect, doubled for each next one (at most 30 s). Default 1000 ms. */
  retryDelayMs?: number;
}

/** What `fromSSE`'s `reconnect` option takes: made by {@link reconnectSSE}. */
export interface SSEReconnect {
  /** Internal: builds the reconnecting source (kept here so that a `fromSSE` without it bundles none of it). */
  readonly source: (
    input: StreamInput,
    config: { dialect: DialectInput; provider?: string; limits?: Partial<StreamLimits> },
    resolve: (dialect: DialectInput, need: 'decode') => Dialect,
  ) => Observable<RxllmEvent>;
}

/**
 * Makes `fromSSE` resume a dropped connection: `fromSSE(input, { dialect, reconnect: reconnectSSE() })`.
 * When the body ends or breaks before the dialect's terminal message, the input function is
 * called again with `{ lastEventId }` (the last `id:` read) to send as `Last-Event-ID`, and frames
 * whose numeric id is not above the last one seen are dropped, so every event arrives once (as
 * `fromEventSource` does). The input must be a function; a stream without `id:` frames is not
 * reopened once it delivered some. Opt-in through this function so that an app that never resumes
 * bundles none of the reconnect code.
 *
 * @example
 * ```ts
 * fromSSE((signal, { lastEventId }) =>
 *   fetch(url, { headers: lastEventId ? { 'Last-Event-ID': lastEventId } : {}, signal }),
 *   { dialect: 'rxllm', reconnect: reconnectSSE({ maxReconnects: 5 }) });
 * ```
 */
export function reconnectSSE(config: ReconnectSSEConfig = {}): SSEReconnect {
  const { maxReconnects = 3, retryDelayMs = 1000 } = config;
  checkReconnect('reconnectSSE', maxReconnects, retryDelayMs);
  return {
    source(input, sourceConfig, resolve) {
      if (typeof input !== 'function') {
        throw new TypeError(
          'rxllm: fromSSE: reconnect needs a function input (it is called again to reconnect)',
        );
      }
      const dialect = resolve(sourceConfig.dialect, 'decode');
      if (dialect.framing !== 'sse') {
        throw new TypeError(`rxllm: fromSSE: dialect '${dialect.name}' is not framed as SSE`);
      }
      return reconnectingSSE({
        name: 'fromSSE',
        dialect,
        decoderOptions: decoderOptionsOf(sourceConfig, 'fromSSE'),
        maxReconnects,
        retryDelayMs,
        connect: (signal, lastEventId) => {
          const made = input(signal, { lastEventId });
          if (!isClientRequest(made)) return made;
          // An `http.ClientRequest` is read only by a source that does not reconnect. Ended here,
          // with a listener for its error: left running, its response would hold the socket and an
          // error of its own (a refused connection) would crash the process.
          made.on('error', () => {});
          made.destroy();
          throw new RxllmError(
            'rxllm: fromSSE: reconnect reads a fetch Response, not an http.ClientRequest: return fetch(url, { signal, headers })',
            { code: 'invalid-argument', retryable: false },
          );
        },
      });
    },
  };
}
