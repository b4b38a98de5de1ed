import type { DecoderOptions, Dialect, EmitEvent } from './types';
import type { StreamDecoder } from './StreamDecoder';
import { dialectMessages } from './dialectMessages';

/** A stream decoder for an NDJSON dialect (Ollama): each non-blank line to the dialect's decoder. */
export function createNDJSONDecoder(
  dialect: Dialect,
  emit: EmitEvent,
  options?: DecoderOptions,
): StreamDecoder {
  const messages = dialectMessages(dialect, emit, options);
  // The unfinished line, in pieces: joining them only once its newline arrives keeps a long
  // line linear (`pending + chunk` with a rescan from its start was O(n²) over 1-byte chunks).
  const pending: string[] = [];
  let pendingLength = 0;
  const lines = (input: string) => {
    let start = 0;
    for (let newline = input.indexOf('\n'); newline !== -1; newline = input.indexOf('\n', start)) {
      let line = input.slice(start, newline);
      if (start === 0 && pending.length > 0) {
        pending.push(line);
        line = pending.join('');
        pending.length = 0;
        pendingLength = 0;
      }
      if (line.length > messages.limits.maxEventSize) throw messages.tooLong();
      line = line.trim();
      start = newline + 1;
      if (line !== '') messages.message(line);
    }
    if (start < input.length) {
      const rest = start === 0 ? input : input.slice(start);
      pending.push(rest);
      pendingLength += rest.length;
      // An unfinished line is bounded too: 200 MB without a newline must not be held.
      if (pendingLength > messages.limits.maxEventSize) throw messages.tooLong();
    }
  };
  return {
    push(chunk) {
      lines(messages.toText(chunk));
    },
    end() {
      pending.push(messages.flushText());
      const rest = pending.join('').trim();
      pending.length = 0;
      pendingLength = 0;
      if (rest !== '') lines(`${rest}\n`);
      messages.end();
    },
    ended: () => messages.ended(),
    restart() {
      messages.flushText(); // drops a UTF-8 sequence cut in half
      pending.length = 0;
      pendingLength = 0;
    },
  };
}
