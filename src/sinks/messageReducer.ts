import type { RxllmEvent } from '../base/events';
import { RxllmError } from '../base/errors';
import {
  copyTrack,
  define,
  foldEvent,
  initialMessageState,
  withEntry,
  type MessageState,
  type MessageStatus,
  type TrackState,
} from '../base/fold';

export type {
  ChoiceState,
  MessageState,
  MessageStatus,
  StepState,
  ToolCallState,
  TrackState,
} from '../base/fold';

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

/**
 * The pure reducer from rxllm events to UI message state, for Redux, `useReducer`, Zustand or
 * `createMessageStore` (which is built on it).
 *
 * Intuition: text, reasoning and refusal deltas are appended, tool calls are gathered by id,
 * usage is kept per step and progress as its latest snapshot, per track; `reset` empties a track.
 * It is the same fold as `collect` and every error's `partial` (`MessageAccumulator`), applied
 * to copies instead of in place.
 *
 * Pure and immutable: a new state is returned only when something changed (otherwise the same
 * object, so `===` tells whether to re-render), and only the objects on the path to the change
 * are copied: per text token the state, the `tracks` record and one track, never the other
 * tracks or the tool calls.
 *
 * - `start` records id, provider and model; any event on a new track opens it `streaming`.
 * - `step-start` opens the track's next step (one provider request); `usage` is the latest
 *   snapshot of its step, and a track's `usage` the sum of its `steps`' (see "Steps and usage").
 * - `usage-total` (from `aggregateUsage`) is the state's `usage`, over every track; `progress` is
 *   its track's, `comparison` the state's.
 * - `finish` of choice 0 ends the track: `done`, or `cancelled` / `error` for those reasons.
 * - `error` (in-band) marks its track `error`. `reset` clears the track's content (text,
 *   reasoning, refusal, tool calls, finish reason, error) and keeps its usage and steps.
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
export function messageReducer(
  state: MessageState = initialMessageState,
  action: MessageAction,
): MessageState {
  switch (action.type) {
    case 'stream-complete':
      return endStream(state, 'done', null);
    case 'stream-error':
      return endStream(state, 'error', RxllmError.from(action.error));
    case 'stream-cancel':
      return state.status === 'idle' || state.status === 'streaming'
        ? endStream(state, 'cancelled', null)
        : state;
    default:
      return foldEvent(state, action, false);
  }
}

/** The state before any event: `idle`, no tracks. */
messageReducer.initialState = initialMessageState;

function endStream(state: MessageState, status: MessageStatus, error: RxllmError | null): MessageState {
  let tracks = state.tracks;
  for (const key of Object.keys(state.tracks)) {
    const track = state.tracks[key]!;
    if (track.status !== 'streaming') continue;
    const ended = copyTrack(track);
    ended.status = status;
    if (error) ended.error = error;
    // The first track ended copies the record; the next ones change that copy.
    if (tracks === state.tracks) tracks = withEntry(tracks, key, ended);
    else define(tracks as Record<string, TrackState>, key, ended);
  }
  if (tracks === state.tracks && state.status === status && state.error === error) return state;
  return { status, tracks, usage: state.usage, comparison: state.comparison, error };
}
