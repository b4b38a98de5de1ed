import { RxllmError } from '../../src/base/errors';
import type { RxllmEvent } from '../../src/base/events';
import { ev } from '../../src/testing/eventBuilders';
import { createHoldingEncoder, type HeldResponse } from '../../src/wire/createHoldingEncoder';
import type { EncoderOptions } from '../../src/wire/types';

/**
 * The skeleton the provider encoders share, driven with a body that writes what it is told and
 * what it holds, so each rule of the skeleton is seen on its own (test/wire/encoders.test.ts checks
 * the real encoders built on it).
 */
function recorder(options: EncoderOptions = {}, firstChoiceOnly = false) {
  const written: string[] = [];
  let held!: HeldResponse;
  const encoder = createHoldingEncoder(
    'openai-chat',
    options,
    (h) => {
      held = h;
      let started = false;
      let wrote = false;
      return {
        started: () => started,
        wroteOutput: () => wrote,
        event(event: RxllmEvent) {
          if (event.type === 'text') {
            started = true;
            wrote = true;
            held.id ??= 'made-up';
          }
          written.push(event.type === 'text' ? `text:${event.text}:${held.id}` : event.type);
        },
        error(error, closedByReset) {
          written.push(`error:${error.providerCode ?? error.code}:${closedByReset}`);
        },
        end() {
          written.push(`end:${held.finish}:${held.usage()?.inputTokens}:${held.usage()?.outputTokens}`);
        },
      };
    },
    { firstChoiceOnly },
  );
  return { encoder, written, held: () => held };
}

describe('createHoldingEncoder', () => {
  it("holds start, usage and the finish reason for the body's end, and passes content on", () => {
    const { encoder, written, held } = recorder({ id: 'from-options', model: 'm0' });
    encoder.event(ev.start({ id: 'resp_1', model: 'gpt', created: 1_700_000_000_999 }));
    expect(held()).toMatchObject({ id: 'resp_1', model: 'gpt', createdSeconds: 1_700_000_000 });
    encoder.event(ev.text('Hi'));
    // A start after the first frame changes nothing: the ids are fixed once written.
    encoder.event(ev.start({ id: 'resp_2', model: 'other' }));
    encoder.event(ev.usage(10, 2));
    encoder.event(ev.finish('length'));
    encoder.end();
    expect(written).toEqual(['text:Hi:resp_1', 'finish', 'end:length:10:2']);
    expect(held().model).toBe('gpt');
  });

  it("sums the steps' usage: each step's latest snapshot", () => {
    const { encoder, written } = recorder();
    encoder.event(ev.stepStart(0));
    encoder.event(ev.usage(5, 1));
    encoder.event(ev.usage(5, 3)); // a later snapshot of step 0 replaces the first
    encoder.event(ev.stepStart(1));
    encoder.event(ev.usage(7, 4));
    encoder.end();
    expect(written).toEqual(['step-start', 'step-start', 'end:undefined:12:7']);
  });

  it('ignores a reset before output, and closes the stream on a reset after output', () => {
    const { encoder, written } = recorder();
    expect(encoder.event(ev.reset('retry'))).toBeUndefined();
    encoder.event(ev.text('Hello'));
    const error = encoder.event(ev.reset('retry'));
    expect(error).toBeInstanceOf(RxllmError);
    expect((error as RxllmError).providerCode).toBe('stream_restarted');
    encoder.event(ev.text('ignored'));
    encoder.end(); // writes nothing once closed
    encoder.error(error as RxllmError);
    expect(written).toEqual(['text:Hello:made-up', 'error:stream_restarted:true']);
  });

  it('drops events of choices other than 0 when the format has one answer', () => {
    const { encoder, written } = recorder({}, true);
    encoder.event({ ...ev.text('zero'), choice: 0 });
    encoder.event({ ...ev.text('one'), choice: 1 });
    encoder.event({ ...ev.finish('length'), choice: 1 });
    encoder.event(ev.finish('stop'));
    encoder.end();
    expect(written).toEqual(['text:zero:made-up', 'finish', 'end:stop:undefined:undefined']);
  });

  it('keeps the finish reason of choice 0 when every choice is written', () => {
    const { encoder, written } = recorder();
    encoder.event(ev.finish('tool-calls'));
    encoder.event({ ...ev.finish('length'), choice: 1 });
    encoder.end();
    expect(written).toEqual(['finish', 'finish', 'end:tool-calls:undefined:undefined']);
  });
});
