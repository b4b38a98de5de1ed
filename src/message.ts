import type { FinishReason, RxllmEvent, Usage } from './events';
import { defaultLimits } from './limits';

/** A finished (or, on a failed stream, partial) tool call. */
export interface ToolCall {
  id: string;
  name: string;
  /** Parsed arguments; on an incomplete call, the best partial parse (`{}` if none). */
  args: unknown;
  argsText: string;
  /** The arguments were cut off before they were complete JSON. */
  incomplete?: boolean;
}

/** One generated choice (OpenAI `n > 1`). */
export interface ChoiceMessage {
  index: number;
  text: string;
  reasoning: string;
  refusal: string;
  toolCalls: ToolCall[];
  finishReason: FinishReason | null;
}

/** The whole response as `collect` returns it, and as a failed stream's `partial`. */
export interface Message {
  id?: string;
  provider?: string;
  model?: string;
  /** Choice 0's answer text. */
  text: string;
  /** Choice 0's visible reasoning ('' when none, or when the reasoning was encrypted). */
  reasoning: string;
  /** Choice 0's refusal text ('' when the model did not refuse). */
  refusal: string;
  toolCalls: ToolCall[];
  usage: Usage | null;
  finishReason: FinishReason | null;
  /** Every choice, present only when the stream carried more than one. */
  choices?: ChoiceMessage[];
}

interface PendingToolCall {
  id: string;
  name: string;
  index: number;
  argsText: string;
  done?: ToolCall;
}

class ChoiceAccumulator {
  /**
   * Text deltas, joined only when a snapshot is taken. Appending to a string per token would keep
   * a rope node per token alive for the whole stream (32 bytes each, copied by every scavenge);
   * an array keeps one pointer per token.
   */
  readonly texts: string[] = [];
  reasoning = '';
  refusal = '';
  finishReason: FinishReason | null = null;
  readonly calls: PendingToolCall[] = [];

  toolCalls(): ToolCall[] {
    return this.calls.map(
      (call) =>
        call.done ?? {
          id: call.id,
          name: call.name,
          args: {},
          argsText: call.argsText,
          incomplete: true,
        },
    );
  }

  call(index: number, id: string): PendingToolCall | undefined {
    for (const call of this.calls) if (call.index === index || call.id === id) return call;
    return undefined;
  }
}

/**
 * Folds events into a {@link Message}. Mutable on purpose: sources keep one per subscription so
 * that a failure can report what arrived, and that must cost next to nothing per token.
 */
export class MessageAccumulator {
  private readonly byChoice: ChoiceAccumulator[] = [new ChoiceAccumulator()];
  private id?: string;
  private provider?: string;
  private model?: string;
  private usage: Usage | null = null;

  /**
   * @param maxChoices Events of a `choice` at or above it (or not an integer >= 0) are ignored:
   * choices are kept in an array, which must never be filled up to an index from the wire.
   */
  constructor(private readonly maxChoices: number = defaultLimits.maxChoices) {}

  apply(event: RxllmEvent): void {
    const at = (event as { choice?: number }).choice;
    if (at !== undefined && !(Number.isSafeInteger(at) && at >= 0 && at < this.maxChoices)) return;
    switch (event.type) {
      case 'text':
        this.choice(event.choice).texts.push(event.text);
        return;
      case 'reasoning':
        this.choice(event.choice).reasoning += event.text;
        return;
      case 'refusal':
        this.choice(event.choice).refusal += event.text;
        return;
      case 'tool-call-start': {
        const choice = this.choice(event.choice);
        if (!choice.call(event.index, event.id))
          choice.calls.push({ id: event.id, name: event.name, index: event.index, argsText: '' });
        return;
      }
      case 'tool-call-delta': {
        const call = this.choice(event.choice).call(event.index, event.id);
        if (call) call.argsText += event.argsText;
        return;
      }
      case 'tool-call': {
        const choice = this.choice(event.choice);
        let call = choice.call(event.index, event.id);
        if (!call) {
          call = { id: event.id, name: event.name, index: event.index, argsText: event.argsText };
          choice.calls.push(call);
        }
        call.done = { id: event.id, name: event.name, args: event.args, argsText: event.argsText };
        if (event.incomplete) call.done.incomplete = true;
        return;
      }
      case 'usage': {
        const { type: _type, track: _track, seq: _seq, ...usage } = event;
        this.usage = usage;
        return;
      }
      case 'finish':
        this.choice(event.choice).finishReason = event.reason;
        return;
      case 'start':
        if (event.id !== undefined) this.id = event.id;
        if (event.provider !== undefined) this.provider = event.provider;
        if (event.model !== undefined) this.model = event.model;
        return;
      case 'reset':
        this.byChoice.length = 0;
        this.byChoice.push(new ChoiceAccumulator());
        return;
      default:
        return;
    }
  }

  /** The message so far. Cheap enough to call once per stream, not per token. */
  snapshot(): Message {
    const first = this.byChoice[0] ?? new ChoiceAccumulator();
    const message: Message = {
      text: first.texts.join(''),
      reasoning: first.reasoning,
      refusal: first.refusal,
      toolCalls: first.toolCalls(),
      usage: this.usage === null ? null : { ...this.usage },
      finishReason: first.finishReason,
    };
    if (this.id !== undefined) message.id = this.id;
    if (this.provider !== undefined) message.provider = this.provider;
    if (this.model !== undefined) message.model = this.model;
    if (this.byChoice.length > 1) {
      message.choices = this.byChoice.map((choice, index) => ({
        index,
        text: choice.texts.join(''),
        reasoning: choice.reasoning,
        refusal: choice.refusal,
        toolCalls: choice.toolCalls(),
        finishReason: choice.finishReason,
      }));
    }
    return message;
  }

  private choice(index: number | undefined): ChoiceAccumulator {
    const at = index ?? 0;
    while (this.byChoice.length <= at) this.byChoice.push(new ChoiceAccumulator());
    return this.byChoice[at]!;
  }
}
