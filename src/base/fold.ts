import { defaultLimits } from './limits';
import type { ComparisonEvent, ContentEvent, ProgressEvent, RxllmEvent } from './events';
import type { RxllmError } from './errors';
import type { FinishReason, StepState, Usage } from './messageTypes';
import { usageCounts } from './usageCounts';

// The one fold from events to a track's message. `MessageAccumulator` (sources' `partial`,
// `collect`, `subscribeWithHandlers`, the track runner) applies it in place to tracks it owns;
// `messageReducer` (UI stores) applies it to copies, sharing every object the event leaves alone.
// Same function, same semantics: which track, which choice, which step, what a `reset` clears.

/**
 * Where a message (or one track of it) is: nothing yet, arriving, finished, failed, or stopped
 * by the user.
 */
export type { StepState } from './messageTypes';

export type MessageStatus = 'idle' | 'streaming' | 'done' | 'error' | 'cancelled';

/** A tool call as a UI shows it: arguments as raw text while they stream, parsed once complete. */
export interface ToolCallState {
  readonly id: string;
  readonly name: string;
  readonly index: number;
  /** The arguments as streamed so far (partial JSON until `complete`). */
  readonly argsText: string;
  /** The parsed arguments; present once `complete`. */
  readonly args?: unknown;
  /** The `tool-call` event arrived: the arguments are final. */
  readonly complete: boolean;
  /** The stream cut the arguments off before they were complete JSON: do not execute blindly. */
  readonly incomplete?: boolean;
  /** What the tool returned, once a `tool-result` for this call arrived (a tool loop ran it). */
  readonly result?: unknown;
  /** The tool's error as sent back to the model, once a failed `tool-result` arrived. */
  readonly error?: string;
  /** How long the tool ran, from its final `tool-result`. */
  readonly durationMs?: number;
}

/** The content of one generated choice. */
export interface ChoiceState {
  readonly index: number;
  readonly text: string;
  readonly reasoning: string;
  readonly refusal: string;
  readonly toolCalls: readonly ToolCallState[];
  readonly finishReason: FinishReason | null;
}

/** Everything one track (one model's stream) has shown. Choice 0's content is at the top level. */
export interface TrackState extends Omit<ChoiceState, 'index'> {
  readonly status: MessageStatus;
  readonly id?: string;
  readonly provider?: string;
  readonly model?: string;
  /** The sum of the steps' usage. Kept across a `reset`: those tokens were spent. */
  readonly usage: Usage | null;
  /** The track's steps (model calls) in order; empty until a step event or usage arrives. */
  readonly steps: readonly StepState[];
  /**
   * A step began after a step that ended in tool calls, and after text was shown (a tool loop's
   * next model call): its first text starts after a blank line, so that `text` reads as one
   * paragraph per step. Set only then.
   */
  readonly stepBreak?: true;
  /** The track's in-band error (mergeTracks' `interleave`), or the stream's error. */
  readonly error: RxllmError | null;
  /** The latest `progress` event of the track. */
  readonly progress: ProgressEvent | null;
  /** Why the track's content was last taken back (a retry, a fallback, a handoff), if it was. */
  readonly resetReason: string | null;
  /** Every choice, choice 0 included, present only when the stream carried more than one. */
  readonly choices?: readonly ChoiceState[];
}

/** UI state of a streamed message: what `createMessageStore` holds and `messageReducer` computes. */
export interface MessageState {
  /** The stream as a whole: `idle` before the first event, `done`/`error`/`cancelled` once it ended. */
  readonly status: MessageStatus;
  /** Per track, keyed by track name; events without a track go to `'default'`. */
  readonly tracks: Readonly<Record<string, TrackState>>;
  /**
   * The usage of the whole stream, every track and step, as the latest `usage-total` event
   * (`aggregateUsage`) reported it; null without one (each track has its own `usage`).
   */
  readonly usage: Usage | null;
  /** The outcome of mergeTracks' `compare` strategy, once it arrived. */
  readonly comparison: ComparisonEvent | null;
  /** The error the stream failed with (`status: 'error'`). */
  readonly error: RxllmError | null;
}

export type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** Where events without a `track` go. */
export const defaultTrack = 'default';

export const initialMessageState: MessageState = {
  status: 'idle',
  tracks: {},
  usage: null,
  comparison: null,
  error: null,
};

const noToolCalls: readonly ToolCallState[] = [];
const noSteps: readonly StepState[] = [];
/**
 * A step, always in this one shape (every field present, `model` and `provider` undefined when
 * unknown), and built only here: V8 then keeps one hidden class for every step, which the code
 * that reads steps stays monomorphic on. Spread copies (`{ ...step, usage }`) made a class per
 * call site and per shape of their source, classes that a full GC collects once no step holds
 * them, so that the next stream after a GC missed in every inline cache that read a step.
 */
function newStep(
  step: number,
  usage: Usage | null,
  finishReason: FinishReason | null,
  model: string | undefined,
  provider: string | undefined,
): StepState {
  return { step, usage, finishReason, model, provider };
}

/** The steps of a track that announced none: step 0. Shared, never changed. */
const implicitSteps: readonly StepState[] = [newStep(0, null, null, undefined, undefined)];

/** A track before its first event. Never mutated: owners start from `copyTrack(emptyTrack)`. */
export const emptyTrack: TrackState = {
  status: 'idle',
  id: undefined,
  provider: undefined,
  model: undefined,
  text: '',
  reasoning: '',
  refusal: '',
  toolCalls: noToolCalls,
  finishReason: null,
  usage: null,
  steps: noSteps,
  error: null,
  progress: null,
  resetReason: null,
  choices: undefined,
};

/**
 * Applies one event to a message state: content to its track (opening the track `streaming`),
 * metadata to the state. With `owned`, `state`, its `tracks` record and its tracks belong to the
 * caller and are changed in place; without, nothing is changed, and the result is a new state
 * sharing every object the event left alone, or `state` itself when nothing changed.
 */
export function foldEvent(state: MessageState, event: RxllmEvent, owned: boolean): MessageState {
  switch (event.type) {
    case 'comparison':
    case 'usage-total': {
      // Metadata of the whole stream, not of a track.
      const next = ownState(state, owned);
      next.status = 'streaming';
      if (event.type === 'comparison') next.comparison = event;
      else next.usage = usageOf(event);
      return next;
    }
    case 'progress': {
      const key = event.track ?? defaultTrack;
      const track = trackOf(state, key);
      const next = own(track, track, owned && track !== emptyTrack);
      next.progress = event;
      return withTrack(state, key, next, owned);
    }
    default: {
      const key = event.track ?? defaultTrack;
      const track = trackOf(state, key);
      const reduced = foldTrack(track, event, owned && track !== emptyTrack);
      if (reduced === track && state.status === 'streaming' && track !== emptyTrack) return state;
      return withTrack(state, key, reduced, owned);
    }
  }
}

function withTrack(state: MessageState, key: string, track: TrackState, owned: boolean): MessageState {
  let opened = track;
  if (opened.status === 'idle') {
    const copy = own(track, track, owned && track !== emptyTrack);
    copy.status = 'streaming';
    opened = copy;
  }
  const next = ownState(state, owned);
  next.status = 'streaming';
  if (owned) define(next.tracks as Record<string, TrackState>, key, opened);
  else if (trackOf(state, key) !== opened) next.tracks = withEntry(state.tracks, key, opened);
  return next;
}

function ownState(state: MessageState, owned: boolean): Mutable<MessageState> {
  if (owned) return state as Mutable<MessageState>;
  return {
    status: state.status,
    tracks: state.tracks,
    usage: state.usage,
    comparison: state.comparison,
    error: state.error,
  };
}

/** A copy of `tracks` with `track` at `key`. Internal, shared with messageReducer. */
export function withEntry(
  tracks: Readonly<Record<string, TrackState>>,
  key: string,
  track: TrackState,
): Record<string, TrackState> {
  const next: Record<string, TrackState> = {};
  for (const name of Object.keys(tracks)) define(next, name, tracks[name]!);
  define(next, key, track);
  return next;
}

/**
 * The track named `key`, an own property only: a track named `__proto__` or `constructor` (a
 * string from the wire) must not read Object.prototype's.
 */
export function trackOf(state: MessageState, key: string): TrackState {
  return Object.hasOwn(state.tracks, key) ? state.tracks[key]! : emptyTrack;
}

/**
 * `record[key] = value` as an own property even for `__proto__`, whose plain assignment would
 * replace the record's prototype instead (what `JSON.parse` does too).
 */
export function define<T>(record: Record<string, T>, key: string, value: T): void {
  if (key === '__proto__')
    Object.defineProperty(record, key, { value, enumerable: true, writable: true, configurable: true });
  else record[key] = value;
}

/**
 * Choices are kept in an array: an index from the wire that is not an integer >= 0 or is at
 * `maxChoices` or above is ignored rather than fill the array up to it. (The same bound as
 * `defaultLimits.maxChoices` of the hostile-input work.)
 */
const maxChoices = defaultLimits.maxChoices;
function isChoice(choice: number | undefined): boolean {
  return choice === undefined || (Number.isSafeInteger(choice) && choice >= 0 && choice < maxChoices);
}

/**
 * Applies one content event to a track. With `owned`, `track` belongs to the caller and is
 * changed in place (sources, `collect`: nothing is allocated per token); without, `track` is
 * left alone and a changed copy is returned, or `track` itself when the event changes nothing.
 */
export function foldTrack(track: TrackState, event: ContentEvent, owned: boolean): TrackState {
  // Everything on a track belongs to a step; a track that announced none is in step 0.
  if (track.steps.length === 0 && event.type !== 'step-start') {
    const opened = own(track, track, owned);
    opened.steps = implicitSteps;
    track = opened;
    owned = true;
  }
  switch (event.type) {
    case 'text':
      if (!isChoice(event.choice)) return track;
      if (track.stepBreak === true && event.choice === undefined && event.text !== '') {
        const next = own(track, track, owned);
        delete next.stepBreak;
        return withChoice(next, 0, { ...event, text: `\n\n${event.text}` }, true);
      }
      return withChoice(track, event.choice ?? 0, event, owned);
    case 'reasoning':
    case 'refusal':
    case 'tool-call-start':
    case 'tool-call-delta':
    case 'tool-call':
      if (!isChoice(event.choice)) return track;
      return withChoice(track, event.choice ?? 0, event, owned);
    case 'finish': {
      if (!isChoice(event.choice)) return track;
      const at = event.choice ?? 0;
      let next = withChoice(track, at, event, owned);
      if (at !== 0) return next;
      next = withStep(next, undefined, owned, undefined, event.reason);
      const status = event.reason === 'cancelled' ? 'cancelled' : event.reason === 'error' ? 'error' : 'done';
      if (next.status === status) return next;
      const ended = own(track, next, owned);
      ended.status = status;
      return ended;
    }
    case 'start': {
      const next = own(track, track, owned);
      next.status = 'streaming';
      next.id = event.id ?? next.id;
      next.provider = event.provider ?? next.provider;
      next.model = event.model ?? next.model;
      // The provider's name for the model (a dated snapshot) is the step's from now on.
      if (event.model === undefined && event.provider === undefined) return next;
      return withStep(next, undefined, true, undefined, undefined, event.model, event.provider);
    }
    case 'step-start': {
      // A new request: the next step, numbered by the event unless steps past it were seen (a
      // source numbers its own request 0, and may follow another on the same track).
      const steps = track.steps;
      const last = steps[steps.length - 1];
      const next = own(track, track, owned);
      const step = newStep(
        last === undefined ? event.step : Math.max(event.step, last.step + 1),
        null,
        null,
        event.model,
        event.provider,
      );
      next.steps = [...steps, step];
      // After a step that called tools (a tool loop), not after a cut one that a retry continues.
      if (next.text !== '' && last?.finishReason === 'tool-calls') next.stepBreak = true;
      next.model ??= event.model;
      next.provider ??= event.provider;
      return next;
    }
    case 'step-finish':
      return withStep(
        track,
        event.step,
        owned,
        event.usage ? usageOf(event.usage) : undefined,
        event.finishReason,
      );
    case 'usage':
      return withStep(track, event.step, owned, usageOf(event));
    case 'tool-result': {
      // The result joins its call (choice 0: tool loops run one choice); a preliminary one too,
      // so a UI shows a streaming tool's progress where the call is.
      const at = track.toolCalls.findIndex((call) => call.id === event.id);
      if (at === -1) return track;
      const call: Mutable<ToolCallState> = { ...track.toolCalls[at]! };
      delete call.result;
      delete call.error;
      if (event.error !== undefined) call.error = event.error;
      else call.result = event.result;
      call.durationMs = event.durationMs;
      const next = own(track, track, owned);
      next.toolCalls = withCall(track.toolCalls, at, call);
      return next;
    }
    case 'error': {
      const next = own(track, track, owned);
      next.status = 'error';
      next.error = event.error;
      return next;
    }
    case 'reset': {
      const next = own(track, track, owned);
      next.status = 'streaming';
      next.text = '';
      delete next.stepBreak;
      next.reasoning = '';
      next.refusal = '';
      next.toolCalls = noToolCalls;
      next.finishReason = null;
      next.error = null;
      next.resetReason = event.reason;
      next.choices = undefined;
      return next;
    }
    default:
      // An event type this version does not know (from a newer peer): nothing to fold.
      return track;
  }
}

/** The counts of a usage snapshot, without the event's own fields. */
function usageOf(event: Usage & { type?: string }): Usage {
  const usage = {} as Usage;
  for (const count of usageCounts) if (event[count] !== undefined) usage[count] = event[count];
  if (event.cost !== undefined) usage.cost = event.cost;
  if (event.pricesAsOf !== undefined) usage.pricesAsOf = event.pricesAsOf;
  if (event.estimated !== undefined) usage.estimated = event.estimated;
  return usage;
}

/**
 * Sets the given fields (undefined: kept) of step `at` (absent: the current, last step; a stream
 * with no `step-start` is step 0), creating the step if it does not exist, and recomputes the
 * track's usage. Returns `track` itself when the step exists and nothing changes.
 */
function withStep(
  track: TrackState,
  at: number | undefined,
  owned: boolean,
  usage?: Usage,
  finishReason?: FinishReason,
  model?: string,
  provider?: string,
): TrackState {
  const steps = track.steps;
  const number = at ?? steps[steps.length - 1]?.step ?? 0;
  let index = steps.length - 1;
  while (index >= 0 && steps[index]!.step > number) index -= 1;
  const found = index >= 0 && steps[index]!.step === number;
  const current = found ? steps[index]! : newStep(number, null, null, undefined, undefined);
  const step = newStep(
    number,
    usage ?? current.usage,
    finishReason ?? current.finishReason,
    model ?? current.model,
    provider ?? current.provider,
  );
  if (
    found &&
    step.usage === current.usage &&
    step.finishReason === current.finishReason &&
    step.model === current.model &&
    step.provider === current.provider
  )
    return track;
  const nextSteps = steps.slice();
  if (found) nextSteps[index] = step;
  else nextSteps.splice(index + 1, 0, step);
  const next = own(track, track, owned);
  next.steps = nextSteps;
  next.usage = nextSteps.length === 1 ? nextSteps[0]!.usage : sumUsage(nextSteps.map((step) => step.usage));
  return next;
}

/** `next` if it is already a fresh or owned object, else a copy of it to change. */
function own(track: TrackState, next: TrackState, owned: boolean): Mutable<TrackState> {
  return owned || next !== track ? (next as Mutable<TrackState>) : copyTrack(track);
}

type ChoiceContentEvent = Extract<
  ContentEvent,
  { type: 'text' | 'reasoning' | 'refusal' | 'tool-call-start' | 'tool-call-delta' | 'tool-call' | 'finish' }
>;

type Content = Omit<ChoiceState, 'index'>;

/**
 * Applies a content event to choice `at`: the track's own fields for choice 0, and `choices` once
 * there are several. Returns `track` itself when the event adds nothing.
 */
function withChoice(track: TrackState, at: number, event: ChoiceContentEvent, owned: boolean): TrackState {
  if (at === 0 && track.choices === undefined) {
    if (!changesContent(track, event)) return track;
    const next = own(track, track, owned);
    applyContent(next, event);
    return next;
  }
  const current = track.choices?.[at] ?? emptyChoice(at);
  if (!changesContent(current, event)) return track;
  const choices = track.choices ? track.choices.slice() : [choiceFrom(track, 0)];
  while (choices.length < at) choices.push(emptyChoice(choices.length));
  const choice = choiceFrom(current, current.index);
  applyContent(choice, event);
  choices[at] = choice;
  const next = own(track, track, owned);
  if (at === 0) applyContent(next, event);
  next.choices = choices;
  return next;
}

/** Whether `event` changes `content`; checked before copying, so that a no-op copies nothing. */
function changesContent(content: Content, event: ChoiceContentEvent): boolean {
  switch (event.type) {
    case 'text':
    case 'reasoning':
    case 'refusal':
      return event.text !== '';
    case 'finish':
      return content.finishReason !== event.reason;
    case 'tool-call-start':
      return findCall(content.toolCalls, event.id, event.index) === -1;
    case 'tool-call-delta':
      return event.argsText !== '' && findCall(content.toolCalls, event.id, event.index) !== -1;
    case 'tool-call':
      return true;
  }
}

/** Applies a content event to a fresh copy or an owned object (never to a state anyone has seen). */
function applyContent(content: Mutable<Content>, event: ChoiceContentEvent): void {
  switch (event.type) {
    case 'text':
      content.text += event.text;
      return;
    case 'reasoning':
      content.reasoning += event.text;
      return;
    case 'refusal':
      content.refusal += event.text;
      return;
    case 'finish':
      content.finishReason = event.reason;
      return;
    case 'tool-call-start':
      content.toolCalls = [
        ...content.toolCalls,
        { id: event.id, name: event.name, index: event.index, argsText: '', complete: false },
      ];
      return;
    case 'tool-call-delta': {
      const at = findCall(content.toolCalls, event.id, event.index);
      const call = content.toolCalls[at]!;
      content.toolCalls = withCall(content.toolCalls, at, {
        id: call.id,
        name: call.name,
        index: call.index,
        argsText: call.argsText + event.argsText,
        complete: false,
      });
      return;
    }
    case 'tool-call': {
      const call: Mutable<ToolCallState> = {
        id: event.id,
        name: event.name,
        index: event.index,
        argsText: event.argsText,
        args: event.args,
        complete: true,
      };
      if (event.incomplete) call.incomplete = true;
      const at = findCall(content.toolCalls, event.id, event.index);
      content.toolCalls = at === -1 ? [...content.toolCalls, call] : withCall(content.toolCalls, at, call);
      return;
    }
  }
}

function findCall(calls: readonly ToolCallState[], id: string, index: number): number {
  for (let at = 0; at < calls.length; at += 1) if (calls[at]!.id === id) return at;
  for (let at = 0; at < calls.length; at += 1)
    if (calls[at]!.index === index && !calls[at]!.complete) return at;
  return -1;
}

function withCall(calls: readonly ToolCallState[], at: number, call: ToolCallState): ToolCallState[] {
  const next = calls.slice();
  next[at] = call;
  return next;
}

// Copies are object literals with every key in one order, not spreads: V8 builds them an order of
// magnitude faster (one hidden class), and this runs once per token.

export function copyTrack(track: TrackState): Mutable<TrackState> {
  return {
    status: track.status,
    id: track.id,
    provider: track.provider,
    model: track.model,
    text: track.text,
    reasoning: track.reasoning,
    refusal: track.refusal,
    toolCalls: track.toolCalls,
    finishReason: track.finishReason,
    usage: track.usage,
    steps: track.steps,
    error: track.error,
    progress: track.progress,
    resetReason: track.resetReason,
    choices: track.choices,
  };
}

/** Choice `index` with the content of `content`: a copy of a choice, or choice 0 taken from a track. */
function choiceFrom(content: Content, index: number): Mutable<ChoiceState> {
  return {
    index,
    text: content.text,
    reasoning: content.reasoning,
    refusal: content.refusal,
    toolCalls: content.toolCalls,
    finishReason: content.finishReason,
  };
}

/** Choice `index` before its first event: the empty track's content. */
function emptyChoice(index: number): ChoiceState {
  return choiceFrom(emptyTrack, index);
}

/** Whether a track shows anything: text, reasoning, refusal or a tool call. */
export function hasContent(track: TrackState): boolean {
  return track.text !== '' || track.reasoning !== '' || track.refusal !== '' || track.toolCalls.length > 0;
}

/**
 * The sum of usages (undefined ones skipped; null when there are none). `cost` only when every
 * part's is known (a partial cost would read as the whole bill); `estimated` when any part is.
 */
export function sumUsage(usages: Iterable<Usage | null | undefined>): Usage | null {
  let total: Usage | null = null;
  for (const usage of usages) {
    if (usage == null) continue;
    if (total === null) {
      total = { ...usage };
      continue;
    }
    const next = {} as Usage;
    for (const count of usageCounts)
      if (total[count] !== undefined || usage[count] !== undefined)
        next[count] = (total[count] ?? 0) + (usage[count] ?? 0);
    if (total.cost !== undefined && usage.cost !== undefined) {
      next.cost = total.cost + usage.cost;
      const asOf = total.pricesAsOf ?? usage.pricesAsOf;
      if (asOf !== undefined) next.pricesAsOf = asOf;
    }
    if (total.estimated === true || usage.estimated === true) next.estimated = true;
    total = next;
  }
  return total;
}
