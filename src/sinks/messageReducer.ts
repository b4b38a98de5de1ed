import type { ComparisonEvent, FinishReason, ProgressEvent, RxllmEvent, Usage } from '../events';
import { RxllmError } from '../errors';

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
  text: '',
  reasoning: '',
  refusal: '',
  toolCalls: noToolCalls,
  finishReason: null,
  usage: null,
  error: null,
  progress: null,
  resetReason: null,
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
    case 'comparison':
      return { ...streaming(state), comparison: action };
    default: {
      const key = action.track ?? defaultTrack;
      const track = state.tracks[key] ?? emptyTrack;
      const next = reduceTrack(track, action);
      if (next === track && state.status === 'streaming') return state;
      const opened = next.status === 'idle' ? { ...next, status: 'streaming' as const } : next;
      return { ...streaming(state), tracks: { ...state.tracks, [key]: opened } };
    }
  }
}

/** The state before any event: `idle`, no tracks. */
messageReducer.initialState = initialState;

function streaming(state: MessageState): MessageState {
  return state.status === 'streaming' ? state : { ...state, status: 'streaming' };
}

function endStream(state: MessageState, status: MessageStatus, error: RxllmError | null): MessageState {
  let tracks = state.tracks;
  for (const [key, track] of Object.entries(state.tracks)) {
    if (track.status !== 'streaming') continue;
    if (tracks === state.tracks) tracks = { ...state.tracks };
    (tracks as Record<string, TrackState>)[key] = { ...track, status, error: error ?? track.error };
  }
  if (tracks === state.tracks && state.status === status && state.error === error) return state;
  return { ...state, status, tracks, error };
}

function reduceTrack(track: TrackState, event: RxllmEvent): TrackState {
  switch (event.type) {
    case 'start': {
      const next: { -readonly [K in keyof TrackState]: TrackState[K] } = { ...track, status: 'streaming' };
      if (event.id !== undefined) next.id = event.id;
      if (event.provider !== undefined) next.provider = event.provider;
      if (event.model !== undefined) next.model = event.model;
      return next;
    }
    case 'usage': {
      const { type: _type, track: _track, seq: _seq, ...usage } = event;
      return { ...track, usage };
    }
    case 'progress':
      return { ...track, progress: event };
    case 'error':
      return { ...track, status: 'error', error: event.error };
    case 'reset': {
      const { choices: _choices, ...rest } = track;
      return {
        ...rest,
        status: 'streaming',
        text: '',
        reasoning: '',
        refusal: '',
        toolCalls: noToolCalls,
        finishReason: null,
        error: null,
        resetReason: event.reason,
      };
    }
    case 'finish': {
      const next = withChoice(track, event.choice ?? 0, event);
      if ((event.choice ?? 0) !== 0) return next;
      const status = event.reason === 'cancelled' ? 'cancelled' : event.reason === 'error' ? 'error' : 'done';
      return next.status === status ? next : { ...next, status };
    }
    case 'text':
    case 'reasoning':
    case 'refusal':
    case 'tool-call-start':
    case 'tool-call-delta':
    case 'tool-call':
      return withChoice(track, event.choice ?? 0, event);
    default:
      return track;
  }
}

type ContentEvent = Extract<
  RxllmEvent,
  { type: 'text' | 'reasoning' | 'refusal' | 'tool-call-start' | 'tool-call-delta' | 'tool-call' | 'finish' }
>;

/** Applies a content event to choice `at`: the track's own fields for choice 0, and `choices` once there are several. */
function withChoice(track: TrackState, at: number, event: ContentEvent): TrackState {
  let next = at === 0 ? withContent(track, event) : track;
  if (at === 0 && track.choices === undefined) return next;
  const choices = track.choices ? track.choices.slice() : [choiceOf(track)];
  while (choices.length <= at) choices.push({ ...choiceOf(emptyTrack), index: choices.length });
  const choice = withContent(choices[at]!, event);
  if (choice === choices[at] && next === track) return track;
  choices[at] = choice;
  if (next === track) next = { ...track };
  return { ...next, choices };
}

function choiceOf(track: TrackState): ChoiceState {
  return {
    index: 0,
    text: track.text,
    reasoning: track.reasoning,
    refusal: track.refusal,
    toolCalls: track.toolCalls,
    finishReason: track.finishReason,
  };
}

/** The content fields after one event; the same object when the event adds nothing. */
function withContent<C extends Omit<ChoiceState, 'index'>>(content: C, event: ContentEvent): C {
  switch (event.type) {
    case 'text':
      return event.text === '' ? content : { ...content, text: content.text + event.text };
    case 'reasoning':
      return event.text === '' ? content : { ...content, reasoning: content.reasoning + event.text };
    case 'refusal':
      return event.text === '' ? content : { ...content, refusal: content.refusal + event.text };
    case 'finish':
      return content.finishReason === event.reason ? content : { ...content, finishReason: event.reason };
    case 'tool-call-start': {
      if (findCall(content.toolCalls, event.id, event.index) !== -1) return content;
      const call: ToolCallState = {
        id: event.id,
        name: event.name,
        index: event.index,
        argsText: '',
        complete: false,
      };
      return { ...content, toolCalls: [...content.toolCalls, call] };
    }
    case 'tool-call-delta': {
      const at = findCall(content.toolCalls, event.id, event.index);
      if (at === -1 || event.argsText === '') return content;
      const call = content.toolCalls[at]!;
      return replaceCall(content, at, { ...call, argsText: call.argsText + event.argsText });
    }
    case 'tool-call': {
      const call: { -readonly [K in keyof ToolCallState]: ToolCallState[K] } = {
        id: event.id,
        name: event.name,
        index: event.index,
        argsText: event.argsText,
        args: event.args,
        complete: true,
      };
      if (event.incomplete) call.incomplete = true;
      const at = findCall(content.toolCalls, event.id, event.index);
      if (at === -1) return { ...content, toolCalls: [...content.toolCalls, call] };
      return replaceCall(content, at, call);
    }
  }
}

function findCall(calls: readonly ToolCallState[], id: string, index: number): number {
  for (let at = 0; at < calls.length; at += 1) if (calls[at]!.id === id) return at;
  for (let at = 0; at < calls.length; at += 1)
    if (calls[at]!.index === index && !calls[at]!.complete) return at;
  return -1;
}

function replaceCall<C extends Omit<ChoiceState, 'index'>>(content: C, at: number, call: ToolCallState): C {
  const toolCalls = content.toolCalls.slice();
  toolCalls[at] = call;
  return { ...content, toolCalls };
}
