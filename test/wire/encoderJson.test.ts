import type { RxllmEvent } from '../../src/base/events';
import { RxllmError } from '../../src/base/errors';
import { jsonNumber } from '../../src/wire/jsonNumber';
import { dialects } from '../../src/wire/dialects';
import type { SSEFrame } from '../../src/wire/types';

/**
 * Events as an untyped (JavaScript) caller may build them: counts missing or not numbers, a
 * `created` that is a string, indices that are not numbers. Whatever an encoder makes of them,
 * every frame it writes must be JSON a client can parse.
 */
const sloppy = [
  { type: 'start', id: 'r1', model: 'm', created: 'yesterday' },
  { type: 'text', text: 'Hi', choice: 'first' },
  { type: 'tool-call-start', id: 'call_1', name: 'f', index: undefined },
  { type: 'tool-call-delta', id: 'call_1', index: undefined, argsText: '{}' },
  { type: 'tool-call', id: 'call_1', name: 'f', index: undefined, args: {}, argsText: '{}' },
  { type: 'usage', inputTokens: 3, outputTokens: 2 }, // no totalTokens
  {
    type: 'usage',
    inputTokens: '3',
    outputTokens: NaN,
    totalTokens: Infinity,
    cachedInputTokens: 'x',
    cacheWriteTokens: {},
    cost: 'free',
  },
  { type: 'finish', reason: 'stop' },
] as unknown as RxllmEvent[];

const encodable = Object.values(dialects).filter((dialect) => dialect!.createEncoder !== undefined);

describe('encoders write valid JSON whatever the events hold', () => {
  it.each(encodable.map((dialect) => [dialect!.name, dialect!] as const))('%s', (_name, dialect) => {
    for (const ending of ['end', 'error'] as const) {
      const frames: SSEFrame[] = [];
      const encoder = dialect.createEncoder!((frame) => frames.push(frame));
      for (const event of sloppy) encoder.event(event);
      if (ending === 'end') encoder.end();
      else encoder.error(new RxllmError('boom', { code: 'http', status: 'bad' as unknown as number }));
      expect(frames.length).toBeGreaterThan(2);
      for (const frame of frames) {
        if (frame.data === '[DONE]') continue;
        expect(() => JSON.parse(frame.data)).not.toThrow();
      }
    }
  });

  it('jsonNumber writes finite numbers as JSON.stringify does and null for anything else', () => {
    for (const value of [0, -0, 1, 0.1 + 0.2, 1e21, 5e-7, -3])
      expect(jsonNumber(value)).toBe(JSON.stringify(value));
    for (const value of [undefined, NaN, Infinity, '3', null, {}])
      expect(jsonNumber(value as number)).toBe('null');
  });
});
