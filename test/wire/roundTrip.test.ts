import { concat, from, throwError } from 'rxjs';
import type { RxllmError } from '../../src/base/errors';
import { codeForProviderError } from '../../src/base/httpError';
import type { RxllmEvent } from '../../src/base/events';
import type { Message } from '../../src/base/message';
import { toSSE } from '../../src/operators/toSSE';
import { dialects } from '../../src/wire/dialects';
import type { DialectName } from '../../src/wire/types';
import { decodeChunks, decodeFixture } from '../support/decodeFixture';
import { allFixtures, dialectOf } from '../support/fixtureDialect';

const fixtures = allFixtures.filter((path) => dialects[dialectOf(path)]?.createDecoder !== undefined);

const targets = (
  ['rxllm', 'openai-chat', 'openai-responses', 'anthropic', 'ai-sdk-ui', 'ag-ui'] as const
).filter(
  (name) => dialects[name]?.createEncoder !== undefined && dialects[name]?.createDecoder !== undefined,
);

/** Writes the decoded fixture with toSSE, then decodes that text again as `target`. */
function reencode(path: string, target: DialectName) {
  const source = decodeFixture(dialectOf(path), path);
  const events$ = source.error
    ? concat(
        from(source.events),
        throwError(() => source.error),
      )
    : from(source.events);
  let text = '';
  events$.pipe(toSSE({ dialect: target })).subscribe((frame) => (text += frame));
  const { message, error } = decodeChunks(target, [text]);
  return { source, message, error, text };
}

function content(message: Message) {
  const { id: _id, provider: _provider, model: _model, ...rest } = message;
  return rest;
}

const carriedCodes: Record<string, ReadonlySet<string>> = {
  // Each target's error vocabulary has words for these kinds of failure; any other is written as
  // the format's generic server error (`server_error`, `api_error`), which reads back as what it
  // stands for: an HTTP 500. openai-chat also carries an HTTP status (`status_code`).
  'openai-chat': new Set(['overloaded', 'rate-limit', 'auth', 'context-length', 'timeout', 'http']),
  'openai-responses': new Set(['overloaded', 'rate-limit', 'auth', 'context-length', 'timeout']),
  anthropic: new Set(['overloaded', 'rate-limit', 'auth', 'context-length', 'timeout']),
  // The UI message stream's error chunk carries only the text.
  'ai-sdk-ui': new Set(),
  // RUN_ERROR carries one code: the provider's own (mapped back like any provider's, see
  // agUiCarries) or, when there is none, rxllm's.
  'ag-ui': new Set(),
};

/** AG-UI's RUN_ERROR `code` is the provider's code when there is one, else rxllm's own code. */
function agUiCarries(error: RxllmError): boolean {
  if (error.providerCode === undefined) return true;
  return codeForProviderError(error.providerCode, error.providerMessage ?? error.message) === error.code;
}

/**
 * What a target can carry of `message`, as each encoder documents it: the rxllm dialect is
 * lossless; the provider formats have one choice (except openai-chat), fixed vocabularies of
 * finish reasons, and their own usage fields.
 */
function expectedAfter(
  target: DialectName,
  message: Message,
  failed: boolean,
): Omit<Message, 'id' | 'provider' | 'model'> {
  const expected = content(message);
  if (target === 'rxllm') return expected;
  if (target !== 'openai-chat') delete expected.choices;
  const usage = expected.usage === null ? null : { ...expected.usage };
  switch (target) {
    case 'openai-chat':
      // OpenAI says `stop` for a refusal, an error or a cancellation.
      if (['refusal', 'error', 'cancelled', 'other'].includes(expected.finishReason ?? ''))
        expected.finishReason = 'stop';
      break;
    case 'openai-responses':
      if (failed) {
        // The `error` event ends a Responses stream for every reader; what response.failed adds
        // after it is never read.
        expected.finishReason = null;
        expected.usage = null;
        return expected;
      }
      // The Responses API always reports cached and reasoning tokens.
      if (usage) {
        usage.cachedInputTokens ??= 0;
        usage.reasoningTokens ??= 0;
      }
      if (['refusal', 'error', 'cancelled', 'other'].includes(expected.finishReason ?? ''))
        expected.finishReason = 'stop';
      break;
    case 'ai-sdk-ui':
    case 'ag-ui':
      // Neither has refusal text: it is shown as text.
      expected.text += expected.refusal;
      expected.refusal = '';
      if (target === 'ai-sdk-ui') {
        // The UI stream's finish reasons: refusal is a content filter, a cancellation `other`.
        if (expected.finishReason === 'refusal') expected.finishReason = 'content-filter';
        if (expected.finishReason === 'cancelled') expected.finishReason = 'other';
      } else if (usage) {
        // AG-UI's TokenUsage has no cost.
        delete usage.cost;
        delete usage.estimated;
      }
      if (failed) {
        // The error ends both streams; the finish and usage written at the end never come.
        expected.finishReason = null;
        if (target === 'ai-sdk-ui') expected.usage = null;
        else expected.usage = usage;
        return expected;
      }
      // Both always end a completed stream with a finish.
      expected.finishReason ??= expected.toolCalls.length > 0 ? 'tool-calls' : 'stop';
      break;
    case 'anthropic':
      // Anthropic has no refusal text (only a refusal stop reason): it is shown as text. It
      // counts neither reasoning tokens nor cost, and message_start always has usage.
      expected.text += expected.refusal;
      expected.refusal = '';
      if (usage) {
        delete usage.reasoningTokens;
        delete usage.cost;
      }
      if (expected.finishReason === 'content-filter') expected.finishReason = 'refusal';
      if (['error', 'cancelled', 'other'].includes(expected.finishReason ?? ''))
        expected.finishReason = 'stop';
      break;
  }
  // A completed Anthropic stream always ends with message_delta usage: zeros when none was known.
  const zeros = target === 'anthropic' && usage === null && !failed;
  expected.usage = zeros ? { inputTokens: 0, outputTokens: 0, totalTokens: 0 } : usage;
  return expected;
}

describe('round trip through toSSE', () => {
  describe.each(fixtures)('%s', (path) => {
    it.each(targets)('decodes the same message after writing it as %s', (target) => {
      const { source, message, error } = reencode(path, target);
      expect(content(message)).toEqual(expectedAfter(target, source.message, source.error !== undefined));
      if (source.error === undefined) {
        expect(error).toBeUndefined();
      } else {
        const carried =
          target === 'rxllm' ||
          carriedCodes[target]!.has(source.error.code) ||
          (target === 'ag-ui' && agUiCarries(source.error));
        // A code the dialect cannot say is written as a generic server error: read back as an
        // HTTP 500 where the dialect has an error type for it; the UI protocols (AG-UI, the AI SDK's
        // error chunk) carry only a message, read back as a provider error.
        const generic = target === 'ag-ui' || target === 'ai-sdk-ui' ? 'provider' : 'http';
        expect(error?.code).toBe(carried ? source.error.code : generic);
        if (!carried && generic === 'http') expect(error).toMatchObject({ status: 500, retryable: true });
        // The encoders write the provider's own words; the reader gets them back as providerMessage.
        expect(error?.providerMessage ?? error?.message).toBe(
          source.error.providerMessage ?? source.error.message,
        );
      }
    });
  });
});

describe('round trip of a two-step stream (steps and usage)', () => {
  // Two model calls on one track, as retryStream or a tool loop emits them: 149/60 then 14/30.
  const events: RxllmEvent[] = [
    { type: 'step-start', step: 0, model: 'gpt-4o' },
    { type: 'start', id: 'chatcmpl-1', provider: 'openai', model: 'gpt-4o' },
    { type: 'text', text: 'Checking. ' },
    { type: 'usage', inputTokens: 149, outputTokens: 60, totalTokens: 209 },
    { type: 'step-start', step: 1, model: 'gpt-4o' },
    { type: 'text', text: 'It is sunny.' },
    { type: 'finish', reason: 'stop' },
    { type: 'usage', inputTokens: 14, outputTokens: 30, totalTokens: 44 },
    { type: 'usage-total', inputTokens: 163, outputTokens: 90, totalTokens: 253 },
  ];
  const write = (target: DialectName) => {
    let text = '';
    from(events)
      .pipe(toSSE({ dialect: target }))
      .subscribe((frame) => (text += frame));
    return text;
  };

  it('keeps every step in the rxllm dialect', () => {
    const { events: decoded, message } = decodeChunks('rxllm', [write('rxllm')]);
    expect(decoded).toEqual(events);
    expect(message.steps?.map((step) => step.usage?.inputTokens)).toEqual([149, 14]);
    expect(message.usage).toMatchObject({ inputTokens: 163, outputTokens: 90 });
  });

  // Documented in each encoder: one response has one usage, so the steps' usage is summed and
  // the boundaries (and `usage-total`, the same sum) are dropped.
  it.each(['openai-chat', 'openai-responses', 'anthropic'] as const)(
    'writes one response with the usage summed over the steps as %s, dropping the boundaries',
    (target) => {
      const { events: decoded, message } = decodeChunks(target, [write(target)]);
      expect(decoded.some((event) => event.type === 'step-start' || event.type === 'usage-total')).toBe(
        false,
      );
      expect(message.text).toBe('Checking. It is sunny.');
      expect(message.steps).toBeUndefined();
      expect(message.usage).toMatchObject({ inputTokens: 163, outputTokens: 90, totalTokens: 253 });
    },
  );

  it('frames each step with start-step and finish-step in the ai-sdk-ui dialect', () => {
    const chunks = write('ai-sdk-ui')
      .split('\n')
      .filter((line) => line.startsWith('data: {'))
      .map(
        (line) =>
          JSON.parse(line.slice(6)) as { type: string; messageId?: string; messageMetadata?: unknown },
      );
    expect(chunks.map((chunk) => chunk.type)).toEqual([
      'start',
      'start-step',
      'text-start',
      'text-delta',
      'text-end',
      'finish-step',
      'start-step',
      'text-start',
      'text-delta',
      'text-end',
      'finish-step',
      'finish',
    ]);
    expect(chunks[0]!.messageId).toBe('chatcmpl-1');
    expect(chunks.at(-1)!.messageMetadata).toMatchObject({ usage: { inputTokens: 163, outputTokens: 90 } });
  });
});
