import type { FinishReason, RxllmEvent, Usage } from '../base/events';
import type { RxllmError } from '../base/errors';
import { cannotTakeBack } from './cannotTakeBack';
import { StepUsage } from './stepUsage';
import type { DialectName, Encoder, EncoderOptions } from './types';

/**
 * What a provider format says of the response as a whole, held by {@link createHoldingEncoder}
 * until the format's body writes it: ids at its first frame, usage and the finish reason at the end.
 */
export interface HeldResponse {
  /**
   * The response id: `EncoderOptions.id`, replaced by the first `start` event's until the first
   * frame is written (the body may then fill in a random one: `held.id ??= randomId(...)`).
   */
  id: string | undefined;
  /** The model, as for `id`. */
  model: string | undefined;
  /** The `start` event's `created`, in whole seconds (as OpenAI writes it); undefined without one. */
  createdSeconds: number | undefined;
  /** The latest `finish` reason of choice 0; undefined until one arrives. */
  readonly finish: FinishReason | undefined;
  /** Every step's latest usage snapshot, summed over steps and tracks; undefined when none arrived. */
  usage(): Usage | undefined;
}

/** The part of an encoder that is its format's own: content frames, and what ends a stream. */
export interface EncoderBody {
  /**
   * Every event but `start`, `usage` and `reset`, which the skeleton keeps (`step-start` and
   * `finish` come here too, after the skeleton recorded them, for formats that write them).
   */
  event(event: RxllmEvent): void;
  /** The first frame was written: the ids are fixed, a later `start` changes nothing. */
  started(): boolean;
  /** Output was written that a `reset` would have to take back. */
  wroteOutput(): boolean;
  /** The stream failed: what the format keeps of the held response, then its error frames. */
  error(error: RxllmError, closedByReset: boolean): void;
  /** The stream completed: the held response in the format's order, then its terminal frames. */
  end(): void;
}

/**
 * The skeleton the provider encoders share. A provider format is a state machine with things that
 * must come last (OpenAI's usage chunk, Anthropic's `message_delta`, the Responses API's
 * `response.completed`, the AI SDK's `finish`), so the encoder *holds* rather than guesses: the
 * skeleton keeps the ids of the first `start` (until the first frame fixes them), every step's
 * usage (`StepUsage`: summed, as the fold counts it) and the finish reason in a
 * {@link HeldResponse} that the body reads when it writes them, in its format's order.
 *
 * It also owns the take-back rule: a `reset` before output is ignored (nothing to take back), a
 * `reset` after output closes the stream with `cannotTakeBack` (the formats' clients cannot remove
 * text), after which events and `end()` write nothing. With `firstChoiceOnly`, events of choice
 * k > 0 are dropped before anything sees them (formats with one answer per response).
 */
export function createHoldingEncoder(
  dialect: DialectName,
  options: EncoderOptions,
  makeBody: (held: HeldResponse) => EncoderBody,
  { firstChoiceOnly = false }: { firstChoiceOnly?: boolean } = {},
): Encoder {
  return new HoldingEncoder(dialect, options, makeBody, firstChoiceOnly);
}

/**
 * The encoder and its held response in one object with prototype methods, rather than a closure
 * per method over a scope plus a separate held object: a relay holds one per open stream, thousands
 * at once (a class, not an object literal with a getter, which V8 would keep as a dictionary).
 */
class HoldingEncoder implements Encoder, HeldResponse {
  id: string | undefined;
  model: string | undefined;
  createdSeconds: number | undefined = undefined;
  finish: FinishReason | undefined = undefined;
  // Made at the first step or usage: most of a stream's life passes before its usage arrives.
  #stepUsage: StepUsage | undefined = undefined;
  #closed = false; // by a `reset` after output
  readonly #body: EncoderBody;

  readonly #dialect: DialectName;
  readonly #firstChoiceOnly: boolean;

  constructor(
    dialect: DialectName,
    options: EncoderOptions,
    makeBody: (held: HeldResponse) => EncoderBody,
    firstChoiceOnly: boolean,
  ) {
    this.#dialect = dialect;
    this.#firstChoiceOnly = firstChoiceOnly;
    this.id = options.id;
    this.model = options.model;
    this.#body = makeBody(this);
  }

  usage(): Usage | undefined {
    return this.#stepUsage?.total();
  }

  event(event: RxllmEvent): RxllmError | void {
    if (this.#closed) return;
    if (this.#firstChoiceOnly && 'choice' in event && event.choice !== undefined && event.choice !== 0)
      return;
    const body = this.#body;
    switch (event.type) {
      case 'start':
        if (body.started()) return; // the ids are fixed once written
        if (event.id !== undefined) this.id = event.id;
        if (event.model !== undefined) this.model = event.model;
        if (event.created !== undefined) this.createdSeconds = Math.floor(event.created / 1000);
        return;
      case 'usage':
        (this.#stepUsage ??= new StepUsage()).add(event);
        return;
      case 'step-start':
        (this.#stepUsage ??= new StepUsage()).start(event);
        break;
      case 'finish':
        if (event.choice === undefined || event.choice === 0) this.finish = event.reason;
        break;
      case 'reset':
        if (!body.wroteOutput()) return; // nothing shown, nothing to take back
        this.#closed = true;
        return cannotTakeBack(this.#dialect, event.reason);
    }
    body.event(event);
  }

  error(error: RxllmError): void {
    this.#body.error(error, this.#closed);
  }

  end(): void {
    if (this.#closed) return;
    this.#body.end();
  }
}
