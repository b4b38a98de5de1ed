// npm run demo: two models answer one prompt at once, and mergeTracks decides what you see.
// Runs with no setup (embedded servers replay realistic streams); OLLAMA_HOST, OPENAI_API_KEY or
// ANTHROPIC_API_KEY switch a track to the real provider. `npm run demo -- --help` for the flags.
import { parseArgs } from 'node:util';
import type { Subscription } from 'rxjs';
import type { ComparisonEvent, FinishReason, RxllmEvent, Usage } from '../src/base/events';
import { aggregateUsage } from '../src/operators/aggregateUsage';
import { mergeTracks, type MergeStrategy } from '../src/tracks/mergeTracks';
import { progress } from '../src/operators/progress';
import { defaultAgentPrompt, runAgent } from './agent';
import { defaultPrompt } from './answers';
import { createTracks, type CloudApi } from './providers';
import { mergeConfig, strategies } from './strategies';
import {
  describeError,
  formatTable,
  measured,
  rowsFromComparison,
  rowsFromStats,
  similarityOf,
} from './stats';
import { TerminalView, wrap } from './terminalView';

export const usage = `Usage: npm run demo -- [options]

Streams one prompt through a local and a cloud model at once, merged by rxllm's mergeTracks,
live in the terminal, and ends with a comparison table (time to first token, tokens/s, total
time, tokens, cost, finish reason, and how far the two answers agree).

Options:
  --strategy <name>   how mergeTracks merges the tracks (default: compare)
                        compare     both stream to the end side by side, then a comparison event
                        handoff     the local draft shows at once; the cloud answer replaces it
                        race        the first track to show a token wins; the other is cancelled
                        hedge       ask the cloud; if it is silent for 400 ms, also ask local; first wins
                        fallback    local; on an error (or no token within 2 s) the cloud
                        interleave  both stream; a failing track becomes an in-band error
  --prompt <text>     the question (default: "${defaultPrompt}")
  --speed <factor>    playback speed of the embedded servers and the strategies' timers (default: 1)
  --cloud <api>       openai or anthropic: which SDK the cloud track uses (default: openai,
                      or anthropic when only ANTHROPIC_API_KEY is set)
  --fail <track>      make the embedded local or cloud server answer with the provider's real
                      error (404 model not found / 401 invalid key), to see failures handled
  --agent             a tool loop instead: the local model calls a tool (get_weather), rxllm's
                      runTools runs it and asks again; shows the call, the result, each step's
                      usage and the answer (default prompt: "What is the weather in Paris?")
  --help              this text

Environment (each switches one track from the embedded replay to the real provider):
  OLLAMA_HOST         local track: an Ollama server (e.g. 127.0.0.1:11434); OLLAMA_MODEL (default llama3.2)
  OPENAI_API_KEY      cloud track: OpenAI through the openai SDK; OPENAI_MODEL (default gpt-4o-mini)
  ANTHROPIC_API_KEY   cloud track: Anthropic through @anthropic-ai/sdk; ANTHROPIC_MODEL (default claude-haiku-4-5)
  NO_COLOR            plain output

Exit status: 0 when a track answered, 1 when every provider failed, 2 for a bad flag, 130 on Ctrl-C.
`;

interface Options {
  agent?: boolean;
  strategy: MergeStrategy;
  prompt: string;
  speed: number;
  cloud?: CloudApi;
  fail?: 'local' | 'cloud';
}

/** Reads the flags; a bad flag is an Error whose message is the one line to print. */
export function parseOptions(argv: string[]): Options | 'help' {
  const { values } = parseArgs({
    args: argv,
    options: {
      strategy: { type: 'string' },
      prompt: { type: 'string' },
      speed: { type: 'string' },
      cloud: { type: 'string' },
      fail: { type: 'string' },
      agent: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) return 'help';
  const strategy = (values.strategy ?? 'compare') as MergeStrategy;
  if (!strategies.includes(strategy))
    throw new Error(`--strategy must be one of ${strategies.join(', ')}, got '${values.strategy}'`);
  const speed = values.speed === undefined ? 1 : Number(values.speed);
  if (!(speed > 0) || !Number.isFinite(speed))
    throw new Error(`--speed must be a positive number, got '${values.speed}'`);
  if (values.cloud !== undefined && values.cloud !== 'openai' && values.cloud !== 'anthropic')
    throw new Error(`--cloud must be openai or anthropic, got '${values.cloud}'`);
  if (values.fail !== undefined && values.fail !== 'local' && values.fail !== 'cloud')
    throw new Error(`--fail must be local or cloud, got '${values.fail}'`);
  const prompt = values.prompt ?? (values.agent ? defaultAgentPrompt : defaultPrompt);
  if (prompt.trim() === '') throw new Error('--prompt must not be empty');
  const options: Options = { strategy, prompt, speed };
  if (values.agent) options.agent = true;
  if (values.cloud) options.cloud = values.cloud as CloudApi;
  if (values.fail) options.fail = values.fail as 'local' | 'cloud';
  return options;
}

async function main(argv: string[]): Promise<number> {
  const out = process.stdout;
  let options: Options | 'help';
  try {
    options = parseOptions(argv);
  } catch (error) {
    process.stderr.write(`demo: ${(error as Error).message}\n\n${usage}`);
    return 2;
  }
  if (options === 'help') {
    out.write(usage);
    return 0;
  }
  const { strategy, prompt, speed } = options;
  const color = Boolean(out.isTTY) && !process.env.NO_COLOR;
  if (options.agent)
    return runAgent({
      prompt,
      speed,
      out,
      paint: (code, text) => (color ? `\x1b[${code}m${text}\x1b[0m` : text),
    });
  const tracks = await createTracks({
    prompt,
    speed,
    ...(options.cloud && { cloud: options.cloud }),
    ...(options.fail && { fail: options.fail }),
  });
  const models: Record<string, string> = { local: tracks.local.model, cloud: tracks.cloud.model };
  const view = new TerminalView({
    out,
    color,
    tracks: [
      { track: 'local', title: `${tracks.local.model} (${tracks.local.where})` },
      { track: 'cloud', title: `${tracks.cloud.model} (${tracks.cloud.where})` },
    ],
  });
  const bold = (text: string) => view.paint('1', text);
  out.write(
    `${bold('rxllm demo')}: mergeTracks strategy ${bold(strategy)}, prompt: ${JSON.stringify(prompt)}\n\n`,
  );

  const local = measured(tracks.local.source);
  const cloud = measured(tracks.cloud.source);
  const usageByTrack: Record<string, Usage> = {};
  const finishByTrack: Record<string, FinishReason> = {};
  let comparison: ComparisonEvent | undefined;
  let failure: unknown;

  view.start();
  let subscription: Subscription | undefined;
  const interrupted = new Promise<'interrupted'>((resolve) =>
    process.once('SIGINT', () => resolve('interrupted')),
  );
  const ended = new Promise<'ended'>((resolve) => {
    subscription = local.source
      .pipe(
        mergeTracks({ cloud: cloud.source }, mergeConfig(strategy, speed)),
        aggregateUsage({ prompt }),
        progress({ mode: 'callback', intervalMs: 100, onProgress: (report) => view.progress(report) }),
      )
      .subscribe({
        next: (event: RxllmEvent) => {
          if (event.type === 'usage' && event.track !== undefined) usageByTrack[event.track] = event;
          if (event.type === 'finish' && event.track !== undefined) finishByTrack[event.track] = event.reason;
          if (event.type === 'comparison') comparison = event;
          // The table names the model the provider reports (a dated snapshot, say), not only the one asked.
          if (event.type === 'start' && event.track !== undefined && event.model)
            models[event.track] = event.model;
          view.event(event);
        },
        error: (error: unknown) => {
          failure = error;
          resolve('ended');
        },
        complete: () => resolve('ended'),
      });
  });
  const outcome = await Promise.race([ended, interrupted]);
  // Unsubscribing aborts whatever is still streaming (on Ctrl-C).
  subscription?.unsubscribe();
  const stats = { local: local.stats, cloud: cloud.stats };
  for (const [track, s] of Object.entries(stats)) if (s.error) view.failed(track, s.error);
  view.stop();

  for (const pane of view.summary()) {
    const state =
      pane.status === 'done'
        ? `finish: ${pane.detail}`
        : pane.status === 'replaced'
          ? `draft, voided by a ${pane.detail}`
          : pane.status === 'cancelled'
            ? 'cancelled by the strategy'
            : pane.status === 'failed'
              ? 'failed'
              : pane.status === 'streaming'
                ? 'interrupted'
                : 'not shown (not needed)';
    out.write(`${bold(`── ${pane.track}`)} · ${pane.title} · ${state}\n`);
    if (pane.text !== '')
      out.write(`${wrap(pane.text, Math.min(100, Math.max(40, (out.columns ?? 100) - 1))).join('\n')}\n`);
    out.write('\n');
  }
  for (const [track, s] of Object.entries(stats))
    if (s.error) out.write(`${view.paint('31', `${track}: ${s.error}`)}\n`);
  if (failure !== undefined && !Object.values(stats).some((s) => s.error))
    out.write(`${view.paint('31', `demo: ${describeError(failure)}`)}\n`);
  if (outcome === 'interrupted') out.write('interrupted: both requests aborted\n');

  const rows = comparison
    ? rowsFromComparison(comparison, models, usageByTrack)
    : rowsFromStats(stats, models, usageByTrack, finishByTrack);
  const similarity = comparison ? comparison.similarity : similarityOf(stats);
  const source = comparison
    ? "mergeTracks' comparison event"
    : strategy === 'compare'
      ? 'measured at each source: the run ended before the comparison event'
      : 'measured at each source: this strategy emits no comparison event';
  out.write(`\n${bold('Comparison')} ${view.paint('2', `(${source}; cost from aggregateUsage)`)}\n`);
  out.write(`${formatTable(rows, similarity, comparison?.similarityMeasure)}\n`);
  await tracks.close();
  if (outcome === 'interrupted') return 130;
  // 0 when the demo showed an answer; 1 when nothing answered (every provider failed).
  const answered = Object.values(stats).some((s) => s.outcome === 'complete');
  return failure === undefined && answered ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    // Whatever went wrong, one line, no stack trace.
    process.stderr.write(`demo: ${describeError(error)}\n`);
    process.exitCode = 1;
  },
);
