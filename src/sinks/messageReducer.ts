import type { ComparisonEvent, FinishReason, ProgressEvent, RxllmEvent, Usage } from '../events';
import { RxllmError } from '../errors';
import { defaultLimits } from '../limits';

/**
 * Where a message (or one track of it) is: nothing yet, arriving, finished, failed, or stopped
 * by the user.
 */
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
  /** The latest cumulative usage snapshot. Kept across a `reset`: those tokens were spent. */
  readonly usage: Usage | null;
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
  /** The outcome of mergeTracks' `compare` strategy, once it arrived. */
  readonly comparison: ComparisonEvent | null;
  /** The error the stream failed with (`status: 'error'`). */
  readonly error: RxllmError | null;
}

/** The Observable completed. */
export interface StreamCompleteAction {
  readonly type: 'stream-complete';
}

/** The Observable failed; a non-rxllm error is wrapped in an `RxllmError` (as `cause`). */
export interface StreamErrorAction {
  readonly type: 'stream-error';
  readonly error: unknown;
}

/** The subscription was ended by the consumer (a stop button). Does nothing to a finished stream. */
export interface StreamCancelAction {
  readonly type: 'stream-cancel';
}

/** What {@link messageReducer} folds: every rxllm event, plus the ends of the stream itself. */
export type MessageAction = RxllmEvent | StreamCompleteAction | StreamErrorAction | StreamCancelAction;

const defaultTrack = 'default';

const noToolCalls: readonly ToolCallState[] = [];

const initialState: MessageState = { status: 'idle', tracks: {}, comparison: null, error: null };

const emptyTrack: TrackState = {
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
  error: null,
  progress: null,
  resetReason: null,
  choices: undefined,
};

/**
 * The pure reducer from rxllm events to UI message state, for Redux, `useReducer`, Zustand or
 * `createMessageStore` (which is built on it).
 *
 * Intuition: text, reasoning and refusal deltas are appended, tool calls are gathered by id,
 * usage and progress keep their latest snapshot, per track; `reset` empties a track.
 *
 * Pure and immutable: a new state is returned only when something changed (otherwise the same
 * object, so `===` tells whether to re-render), and only the objects on the path to the change
 * are copied: per text token the state, the `tracks` record and one track, never the other
 * tracks or the tool calls.
 *
 * - `start` records id, provider and model; any event on a new track opens it `streaming`.
 * - `finish` of choice 0 ends the track: `done`, or `cancelled` / `error` for those reasons.
 * - `error` (in-band) marks its track `error`. `reset` clears the track's content (text,
 *   reasoning, refusal, tool calls, finish reason, error) and keeps its usage.
 * - `stream-complete` / `stream-error` / `stream-cancel` end the stream and every track still
 *   streaming; a cancel after the stream ended changes nothing.
 *
 * `messageReducer(undefined, action)` starts from `messageReducer.initialState`, as Redux expects.
 *
 * @example
 * ```ts
 * import { messageReducer } from 'rxllm';
 * const [message, dispatch] = useReducer(messageReducer, messageReducer.initialState);
 * useEffect(() => {
 *   const subscription = events$.subscribe({ next: dispatch, complete: () => dispatch({ type: 'stream-complete' }) });
 *   return () => subscription.unsubscribe();
 * }, []);
 * ```
 */
export function messageReducer(state: MessageState = initialState, action: MessageAction): MessageState {
  switch (action.type) {
    case 'stream-complete':
      return endStream(state, 'done', null);
    case 'stream-error':
      return endStream(state, 'error', RxllmError.from(action.error));
    case 'stream-cancel':
      return state.status === 'idle' || state.status === 'streaming'
        ? endStream(state, 'cancelled', null)
        : state;
    case 'comparison': {
      const next = copyState(state);
      next.status = 'streaming';
      next.comparison = action;
      return next;
    }
    default: {
      const key = action.track ?? defaultTrack;
      // An own property only: a track named `__proto__` or `constructor` (a string from the wire)
      // must not read Object.prototype's.
      const track = Object.hasOwn(state.tracks, key) ? state.tracks[key]! : emptyTrack;
      const reduced = reduceTrack(track, action);
      if (reduced === track && state.status === 'streaming') return state;
      let opened = reduced;
      if (opened.status === 'idle') {
        const copy = copyTrack(opened);
        copy.status = 'streaming';
        opened = copy;
      }
      const next = copyState(state);
      next.status = 'streaming';
      next.tracks = withEntry(state.tracks, key, opened);
      return next;
    }
  }
}

/** The state before any event: `idle`, no tracks. */
messageReducer.initialState = initialState;

function endStream(state: MessageState, status: MessageStatus, error: RxllmError | null): MessageState {
  let tracks = state.tracks;
  for (const key in state.tracks) {
    const track = state.tracks[key]!;
    if (track.status !== 'streaming') continue;
    if (tracks === state.tracks) tracks = withEntry(state.tracks, key, track);
    const ended = copyTrack(track);
    ended.status = status;
    if (error) ended.error = error;
    define(tracks as Record<string, TrackState>, key, ended);
  }
  if (tracks === state.tracks && state.status === status && state.error === error) return state;
  return { status, tracks, comparison: state.comparison, error };
}

function reduceTrack(track: TrackState, event: RxllmEvent): TrackState {
  switch (event.type) {
    case 'text':
    case 'reasoning':
    case 'refusal':
    case 'tool-call-start':
    case 'tool-call-delta':
    case 'tool-call':
      if (!isChoice(event.choice)) return track;
      return withChoice(track, event.choice ?? 0, event);
    case 'finish': {
      if (!isChoice(event.choice)) return track;
      const next = withChoice(track, event.choice ?? 0, event);
      if ((event.choice ?? 0) !== 0) return next;
      const status = event.reason === 'cancelled' ? 'cancelled' : event.reason === 'error' ? 'error' : 'done';
      if (next.status === status) return next;
      const ended = next === track ? copyTrack(track) : (next as Mutable<TrackState>);
      ended.status = status;
      return ended;
    }
    case 'start': {
      const next = copyTrack(track);
      next.status = 'streaming';
      if (event.id !== undefined) next.id = event.id;
      if (event.provider !== undefined) next.provider = event.provider;
      if (event.model !== undefined) next.model = event.model;
      return next;
    }
    case 'usage': {
      const { type: _type, track: _track, seq: _seq, ...usage } = event;
      const next = copyTrack(track);
      next.usage = usage;
      return next;
    }
    case 'progress': {
      const next = copyTrack(track);
      next.progress = event;
      return next;
    }
    case 'error': {
      const next = copyTrack(track);
      next.status = 'error';
      next.error = event.error;
      return next;
    }
    case 'reset': {
      const next = copyTrack(track);
      next.status = 'streaming';
      next.text = '';
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
      return track;
  }
}

type ContentEvent = Extract<
  RxllmEvent,
  { type: 'text' | 'reasoning' | 'refusal' | 'tool-call-start' | 'tool-call-delta' | 'tool-call' | 'finish' }
>;

type Content = Omit<ChoiceState, 'index'>;
type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * Applies a content event to choice `at`: the track's own fields for choice 0, and `choices` once
 * there are several. Returns `track` itself when the event adds nothing.
 */
function withChoice(track: TrackState, at: number, event: ContentEvent): TrackState {
  if (at === 0 && track.choices === undefined) {
    if (!changesContent(track, event)) return track;
    const next = copyTrack(track);
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
  const next = copyTrack(track);
  if (at === 0) applyContent(next, event);
  next.choices = choices;
  return next;
}

/** Whether `event` changes `content`; checked before copying, so that a no-op copies nothing. */
function changesContent(content: Content, event: ContentEvent): boolean {
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

/** Applies a content event to a fresh copy (never to a state anyone has seen). */
function applyContent(content: Mutable<Content>, event: ContentEvent): void {
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

function withEntry(
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
 * `record[key] = value` as an own property even for `__proto__`, whose plain assignment would
 * replace the record's prototype instead (what `JSON.parse` does too).
 */
function define(record: Record<string, TrackState>, key: string, value: TrackState): void {
  if (key === '__proto__')
    Object.defineProperty(record, key, { value, enumerable: true, writable: true, configurable: true });
  else record[key] = value;
}

/**
 * Choices are kept in an array: an index from the wire (not an integer >= 0, or at
 * `defaultLimits.maxChoices` or above) is ignored rather than fill the array up to it.
 */
function isChoice(choice: number | undefined): boolean {
  return (
    choice === undefined || (Number.isSafeInteger(choice) && choice >= 0 && choice < defaultLimits.maxChoices)
  );
}

// Copies are object literals with every key in one order, not spreads: V8 builds them an order of
// magnitude faster (one hidden class), and this runs once per token.

function copyState(state: MessageState): Mutable<MessageState> {
  return { status: state.status, tracks: state.tracks, comparison: state.comparison, error: state.error };
}

function copyTrack(track: TrackState): Mutable<TrackState> {
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

function emptyChoice(index: number): ChoiceState {
  return { index, text: '', reasoning: '', refusal: '', toolCalls: noToolCalls, finishReason: null };
}
