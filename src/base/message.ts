import type { RxllmEvent, TextEvent } from './events';
import {
  defaultTrack,
  define,
  emptyTrack,
  foldEvent,
  hasContent,
  sumUsage,
  trackOf,
  type MessageState,
  type Mutable,
  type ToolCallState,
  type TrackState,
} from './fold';
import type { Message, StepState, ToolCall } from './messageTypes';

export type { ChoiceMessage, Message, ToolCall } from './messageTypes';

/** Text deltas held before they are joined into their run's text. */
const heldTexts = 16;

/**
 * Events held before they are folded, a run of text deltas counting as one: what the accumulator
 * keeps besides the message's own text, at most.
 */
export const heldEvents = 32;

/**
 * Folds events into a {@link Message}: the same fold as `messageReducer`, applied in place.
 * Mutable on purpose: sources keep one per subscription so that a failure can report what
 * arrived, and that must cost next to nothing per token. Track- and step-aware: each track is
 * folded apart (a `reset` clears only its own track), usage is kept per step and summed.
 *
 * Lazy: `apply` only holds an event (a run of text deltas of one track joined into one), and the
 * fold runs when {@link heldEvents} are held or a snapshot is taken. A stream that succeeds is
 * never asked for its `partial`, so a short one is never folded at all: its first fold after a
 * full GC costs more than the rest of a short stream's bookkeeping (cold code, rebuilt records).
 * Folding a run equals folding its deltas one by one: the fold appends a delta's text (a step
 * break's blank line goes before the first non-empty one, as for the run).
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

  /** Events not yet folded, in order; the open run, if any, is the last. */
  readonly #held: RxllmEvent[] = [];

  /**
   * The open run (a text event of our own, without a `choice`) and its deltas not yet joined into it:
   * appending to a string per token would keep a rope node per token alive for the whole stream
   * (measured: decoding 5% slower).
   */
  #run: TextEvent | undefined;
  readonly #texts: string[] = [];

  /** The length of the text when it was last flattened. */
  #flatLength = 64;

  apply(event: RxllmEvent): void {
    const delta = event.type === 'text' && event.choice === undefined ? event : undefined;
    const run = this.#run;
    if (delta !== undefined && run !== undefined && run.track === delta.track) {
      // Joined every so many tokens: a flat string holds the text in a fraction of the memory
      // that the token strings and their array slots take.
      if (this.#texts.push(delta.text) === heldTexts) this.#join();
      return;
    }
    this.#join();
    this.#run = undefined;
    let held = event;
    // A run is a text event of our own, so that the deltas joined into it are copies: the caller's
    // event is left as it is (the track present even when undefined: one shape for every run).
    if (delta !== undefined) held = this.#run = { type: 'text', text: delta.text, track: delta.track };
    if (this.#held.push(held) >= heldEvents) this.#fold();
  }

  /** Joins the held deltas into the open run. */
  #join(): void {
    if (this.#texts.length === 0) return;
    this.#flatten((this.#run!.text += this.#texts.join('')));
    this.#texts.length = 0;
  }

  /**
   * Each join (and each run folded into a track) adds a rope node: the text is flattened (reading
   * a character does it, in place) each time it doubled, so ropes stay short at a cost linear in
   * the text.
   */
  #flatten(text: string): void {
    if (text.length < this.#flatLength * 2) return;
    text.charCodeAt(0);
    this.#flatLength = text.length;
  }

  /**
   * Folds every held event into the state, in order. They are taken out first: an event the fold
   * throws on (a `text` that is not a string, from a source of the app's own) is then thrown once,
   * not again by every later snapshot with the events before it folded twice.
   */
  #fold(): void {
    this.#join();
    this.#run = undefined;
    const state = this.#state;
    for (const event of this.#held.splice(0)) {
      foldEvent(state, event, true);
      if (event.type === 'text') this.#flatten(trackOf(state, event.track ?? defaultTrack).text);
    }
  }

  /** The message so far. Cheap enough to call once per stream, not per token. */
  snapshot(): Message {
    this.#fold();
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
