import type { RxllmEvent } from './events';
import {
  defaultTrack,
  define,
  emptyTrack,
  foldEvent,
  hasContent,
  sumUsage,
  type MessageState,
  type Mutable,
  type ToolCallState,
  type TrackState,
} from './fold';
import type { Message, StepState, ToolCall } from './messageTypes';

export type { ChoiceMessage, Message, ToolCall } from './messageTypes';

/** Text deltas held before they are joined into their track's text. */
const heldTexts = 16;

/**
 * Folds events into a {@link Message}: the same fold as `messageReducer`, applied in place.
 * Mutable on purpose: sources keep one per subscription so that a failure can report what
 * arrived, and that must cost next to nothing per token. Track- and step-aware: each track is
 * folded apart (a `reset` clears only its own track), usage is kept per step and summed.
 */
export class MessageAccumulator {
  // `#` fields: private at run time too, and a minifier shortens their names, where TypeScript's
  // `private` leaves public properties that every bundle spells out in full.
  readonly #state: MessageState = {
    status: 'idle',
    tracks: {},
    usage: null,
    comparison: null,
    error: null,
  };

  /**
   * A run of text deltas for choice 0 of one open track, not yet appended to its `text`: joined
   * once when any other event arrives or a snapshot is taken. Appending to a string per token
   * would keep a rope node per token alive for the whole stream (measured: decoding 5% slower).
   */
  readonly #texts: string[] = [];
  #textTrack: Mutable<TrackState> | undefined;

  /** The `track` of the held run (undefined for the default track), compared first: one branch per token. */
  #textKey: string | undefined;

  /** The length of the text when it was last flattened. */
  #flatLength = 64;

  apply(event: RxllmEvent): void {
    // Small on purpose, so that it inlines into a decoder's emit: a run of text deltas is pushed.
    if (
      this.#textTrack !== undefined &&
      event.type === 'text' &&
      event.track === this.#textKey &&
      event.choice === undefined
    ) {
      // Joined every so many tokens: a flat string holds the text in a fraction of the memory
      // that the token strings and their array slots take.
      if (this.#texts.push(event.text) === heldTexts) this.#flush();
      return;
    }
    this.#applySlowly(event);
  }

  #applySlowly(event: RxllmEvent): void {
    this.#flush();
    if (event.type === 'text' && event.choice === undefined) {
      const key = event.track ?? defaultTrack;
      const track = Object.hasOwn(this.#state.tracks, key)
        ? (this.#state.tracks[key] as Mutable<TrackState>)
        : undefined;
      // What the fold would do to an open track with one choice: append. Held, to be joined.
      if (
        track !== undefined &&
        track.status === 'streaming' &&
        track.choices === undefined &&
        track.steps.length > 0 &&
        track.stepBreak === undefined
      ) {
        this.#textTrack = track;
        this.#textKey = event.track;
        this.#texts.push(event.text);
        return;
      }
    }
    foldEvent(this.#state, event, true);
  }

  #flush(): void {
    if (this.#textTrack === undefined) return;
    const text = (this.#textTrack.text += this.#texts.join(''));
    this.#texts.length = 0;
    this.#textTrack = undefined;
    // Each join adds a rope node: flattened (reading a character does it, in place) each time the
    // text doubled, so the rope stays short at a cost linear in the text.
    if (text.length >= this.#flatLength * 2) {
      text.charCodeAt(0);
      this.#flatLength = text.length;
    }
  }

  /** The message so far. Cheap enough to call once per stream, not per token. */
  snapshot(): Message {
    this.#flush();
    const state = this.#state;
    const names = Object.keys(state.tracks);
    // One track (or none): its message. Several: the answering track's, with every track's.
    const several = names.length > 1;
    const message = messageOf(
      several ? state.tracks[answerTrack(state.tracks, names)] : state.tracks[names[0]!],
    );
    if (several) {
      const tracks: Record<string, Message> = {};
      // An own property even for a track named `__proto__` (a plain assignment would set the prototype).
      for (const name of names) define(tracks, name, messageOf(state.tracks[name]));
      message.tracks = tracks;
    }
    const total = state.usage ?? (several ? sumUsage(names.map((name) => state.tracks[name]!.usage)) : null);
    if (total !== null) message.totalUsage = { ...total };
    return message;
  }
}

/** The track that answers: shows content and was neither cancelled nor failed, else shows content, else the first. */
function answerTrack(tracks: Readonly<Record<string, TrackState>>, names: string[]): string {
  const standing = names.find((name) => {
    const track = tracks[name]!;
    return hasContent(track) && track.status !== 'cancelled' && track.status !== 'error';
  });
  return standing ?? names.find((name) => hasContent(tracks[name]!)) ?? names[0]!;
}

/** A track's message; no track (nothing arrived) is the empty track's: empty text, no usage. */
function messageOf(track: TrackState = emptyTrack): Message {
  const message: Message = {
    text: track.text,
    reasoning: track.reasoning,
    refusal: track.refusal,
    toolCalls: track.toolCalls.map(toolCallOf),
    usage: track.usage === null ? null : { ...track.usage },
    finishReason: track.finishReason,
  };
  if (track.id !== undefined) message.id = track.id;
  if (track.provider !== undefined) message.provider = track.provider;
  if (track.model !== undefined) message.model = track.model;
  if (track.choices !== undefined) {
    message.choices = track.choices.map((choice) => ({
      index: choice.index,
      text: choice.text,
      reasoning: choice.reasoning,
      refusal: choice.refusal,
      toolCalls: choice.toolCalls.map(toolCallOf),
      finishReason: choice.finishReason,
    }));
  }
  if (track.steps.length > 1) message.steps = track.steps.map(stepOf);
  return message;
}

/** A step as a Message shows it: the fold keeps `model` and `provider` present even when unknown. */
function stepOf(step: StepState): StepState {
  const copy: Mutable<StepState> = { step: step.step, usage: step.usage, finishReason: step.finishReason };
  if (step.model !== undefined) copy.model = step.model;
  if (step.provider !== undefined) copy.provider = step.provider;
  return copy;
}

function toolCallOf(call: ToolCallState): ToolCall {
  if (!call.complete)
    return { id: call.id, name: call.name, args: {}, argsText: call.argsText, incomplete: true };
  const done: ToolCall = { id: call.id, name: call.name, args: call.args, argsText: call.argsText };
  if (call.incomplete) done.incomplete = true;
  if (call.error !== undefined) done.error = call.error;
  else if ('result' in call) done.result = call.result;
  if (call.durationMs !== undefined) done.durationMs = call.durationMs;
  return done;
}
