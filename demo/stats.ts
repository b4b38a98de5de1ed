import { defer, finalize, tap, type Observable } from 'rxjs';
import { RxllmError } from '../src/base/errors';
import type { ComparisonEvent, FinishReason, RxllmEvent, Usage } from '../src/base/events';
import { showsOutput } from '../src/base/showsOutput';
import { pairwiseSimilarity } from '../src/tracks/compareTracks';
import { MessageAccumulator } from '../src/base/message';
import { wordCosineSimilarity } from '../src/tracks/wordCosineSimilarity';

/** What one track did, measured at its source (before mergeTracks decides what is shown). */
export interface TrackStats {
  startedAt?: number;
  firstTokenAt?: number;
  endedAt?: number;
  deltas: number;
  message: MessageAccumulator;
  outcome: 'idle' | 'running' | 'complete' | 'error' | 'cancelled';
  error?: string;
}

/**
 * Wraps a track's source so that what it does is recorded in `stats`: when it started, its first
 * content, how many deltas, its message, and how it ended, including being cancelled by a strategy.
 * This is how the demo fills the table for strategies other than `compare`, which has no
 * `comparison` event.
 */
export function measured(
  source: Observable<RxllmEvent>,
  now: () => number = () => performance.now(),
): { source: Observable<RxllmEvent>; stats: TrackStats } {
  const stats: TrackStats = { deltas: 0, message: new MessageAccumulator(), outcome: 'idle' };
  return {
    stats,
    source: defer(() => {
      stats.startedAt = now();
      stats.outcome = 'running';
      return source.pipe(
        tap({
          next: (event) => {
            stats.message.apply(event);
            if (showsOutput(event)) {
              stats.firstTokenAt ??= now();
              stats.deltas++;
            }
          },
          error: (error: unknown) => {
            stats.outcome = 'error';
            stats.error = describeError(error);
          },
          complete: () => {
            stats.outcome = 'complete';
          },
        }),
        finalize(() => {
          stats.endedAt = now();
          if (stats.outcome === 'running') stats.outcome = 'cancelled';
        }),
      );
    }),
  };
}

/** One row of the final table. */
export interface Row {
  track: string;
  model: string;
  timeToFirstTokenMs?: number;
  tokensPerSecond?: number;
  totalMs?: number;
  tokens?: number;
  cost?: number;
  costEstimated?: boolean;
  finish: string;
}

/** Rows from mergeTracks' `comparison` event, with cost from aggregateUsage's usage events. */
export function rowsFromComparison(
  comparison: ComparisonEvent,
  models: Record<string, string>,
  usage: Record<string, Usage>,
): Row[] {
  return comparison.tracks.map((figures) => {
    const row: Row = {
      track: figures.track,
      model: models[figures.track] ?? '?',
      tokensPerSecond: figures.tokensPerSecond,
      totalMs: figures.totalMs,
      tokens: figures.tokens,
      finish: figures.finishReason ?? (figures.error ? 'error' : '-'),
    };
    if (figures.timeToFirstTokenMs !== undefined) row.timeToFirstTokenMs = figures.timeToFirstTokenMs;
    withCost(
      row,
      figures.cost !== undefined ? { ...figures.usage!, cost: figures.cost } : usage[figures.track],
    );
    return row;
  });
}

/** Rows from the demo's own measurements, for strategies that emit no `comparison`. */
export function rowsFromStats(
  stats: Record<string, TrackStats>,
  models: Record<string, string>,
  usage: Record<string, Usage>,
  shownFinish: Record<string, FinishReason>,
): Row[] {
  return Object.entries(stats).map(([track, s]) => {
    const message = s.message.snapshot();
    const tokens = message.usage?.outputTokens ?? s.deltas;
    const row: Row = {
      track,
      model: models[track] ?? '?',
      finish:
        s.outcome === 'idle'
          ? 'not started'
          : s.outcome === 'cancelled'
            ? 'cancelled'
            : s.outcome === 'error'
              ? 'error'
              : (shownFinish[track] ?? message.finishReason ?? '-'),
    };
    if (s.startedAt !== undefined) {
      row.totalMs = (s.endedAt ?? performance.now()) - s.startedAt;
      row.tokens = tokens;
      const streamingMs = (s.endedAt ?? performance.now()) - (s.firstTokenAt ?? 0);
      if (s.firstTokenAt !== undefined)
        row.tokensPerSecond = streamingMs > 0 ? (tokens * 1000) / streamingMs : 0;
    }
    if (s.firstTokenAt !== undefined && s.startedAt !== undefined)
      row.timeToFirstTokenMs = s.firstTokenAt - s.startedAt;
    withCost(row, usage[track]);
    return row;
  });
}

function withCost(row: Row, usage: Usage | undefined): void {
  if (usage?.cost === undefined) return;
  row.cost = usage.cost;
  if (usage.estimated) row.costEstimated = true;
}

/** Pairwise similarity of what the tracks wrote, as `compare` computes it. */
export function similarityOf(stats: Record<string, TrackStats>): Record<string, number> {
  return pairwiseSimilarity(
    Object.entries(stats).map(([track, s]) => [track, s.message.snapshot().text]),
    wordCosineSimilarity,
  );
}

const columns = ['track', 'model', 'TTFT', 'tok/s', 'total', 'tokens', 'cost', 'finish'] as const;

/** The comparison table as plain text (aligned columns), then the similarity line. */
export function formatTable(
  rows: Row[],
  similarity: Record<string, number>,
  measure = 'word-cosine',
): string {
  const cells = rows.map((row) => [
    row.track,
    row.model,
    row.timeToFirstTokenMs !== undefined ? `${Math.round(row.timeToFirstTokenMs)} ms` : '-',
    row.tokensPerSecond !== undefined ? row.tokensPerSecond.toFixed(1) : '-',
    row.totalMs !== undefined ? `${Math.round(row.totalMs)} ms` : '-',
    row.tokens !== undefined ? String(row.tokens) : '-',
    row.cost !== undefined ? `${row.costEstimated ? '~' : ''}$${row.cost.toFixed(6)}` : '-',
    row.finish,
  ]);
  const widths = columns.map((title, i) => Math.max(title.length, ...cells.map((line) => line[i]!.length)));
  // Numbers right-aligned, words left-aligned.
  const right = new Set([2, 3, 4, 5, 6]);
  const line = (values: readonly string[]) =>
    values
      .map((value, i) => (right.has(i) ? value.padStart(widths[i]!) : value.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  const out = [line(columns), widths.map((width) => '─'.repeat(width)).join('  '), ...cells.map(line)];
  const summary = verdict(rows);
  if (summary) out.push(summary);
  for (const [pair, value] of Object.entries(similarity)) {
    const silent = pair.split('|').filter((track) => !rows.find((row) => row.track === track)?.tokens);
    out.push(
      silent.length > 0
        ? `similarity ${pair.replace('|', ' ~ ')}: n/a (${silent.join(' and ')} wrote nothing)`
        : `similarity ${pair.replace('|', ' ~ ')}: ${value.toFixed(2)} (${measure})`,
    );
  }
  return out.join('\n');
}

/** One line that says why a provider failed: `HTTP 401: invalid api key (auth)`. No stack. */
export function describeError(error: unknown): string {
  const failure = error instanceof RxllmError ? error : RxllmError.from(error);
  const message = failure.message.replace(/\s+/g, ' ').trim();
  const short = message.length > 160 ? `${message.slice(0, 157)}...` : message;
  return `${short} (${failure.code})`;
}

/** The table in one sentence, when two tracks both streamed: who was first, who was faster, at what price. */
export function verdict(rows: Row[]): string | undefined {
  const streamed = rows.filter((row) => row.timeToFirstTokenMs !== undefined && row.tokensPerSecond);
  if (streamed.length !== 2) return undefined;
  const [a, b] = streamed as [Row, Row];
  const [first, second] = a.timeToFirstTokenMs! <= b.timeToFirstTokenMs! ? [a, b] : [b, a];
  const [fast, slow] = a.tokensPerSecond! >= b.tokensPerSecond! ? [a, b] : [b, a];
  const lead = Math.round(second.timeToFirstTokenMs! - first.timeToFirstTokenMs!);
  const ratio = fast.tokensPerSecond! / slow.tokensPerSecond!;
  let text = `${first.track} showed its first token ${lead} ms sooner; ${fast.track} streamed ${ratio.toFixed(1)}× faster`;
  if (a.cost !== undefined && b.cost !== undefined && a.cost !== b.cost) {
    const [dear, cheap] = a.cost > b.cost ? [a, b] : [b, a];
    text += `; ${dear.track} cost $${(dear.cost! - cheap.cost!).toFixed(6)} more`;
  }
  return `${text}.`;
}
