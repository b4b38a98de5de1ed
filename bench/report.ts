/**
 * Turns the rounds' measurements into bench/RESULTS.md and bench/ratios.svg. Every ratio is
 * computed per round against the floor on the same bytes, then its median over rounds is taken:
 * the machine's speed drifts between rounds, and a ratio within a round cancels most of it.
 */
import type { HttpConcurrencyResult } from './httpConcurrency';
import type { ConcurrencyResult } from './concurrency';
import { floorNameOf, type Contender } from './contenders';
import { median, type MeasureOptions, type Measurement } from './measure';

export interface Failure {
  name: string;
  round: number;
  error: string;
}

export interface BenchReport {
  date: string;
  command: string;
  durationS: number;
  machine: string;
  versions: Record<string, string>;
  rounds: number;
  options: MeasureOptions;
  concurrency: { streams: number; seconds: number; rate: number };
  contenders: readonly Contender[];
  /** One row per round, one measurement per contender that succeeded. */
  results: Measurement[][];
  scenarios: ConcurrencyResult[];
  /** The same streams relayed over real loopback HTTP (bench/httpConcurrency.ts), when run. */
  httpScenarios?: HttpConcurrencyResult[];
  /** Short streams after a full GC (bench/shortAfterGC.ts), one per process: several per round and wire. */
  afterGC?: AfterGCResult[];
  /** The machine's CPU use over the whole run, all cores, other processes included (0–1). */
  machineBusy?: number;
  /** The 1-minute load average at the end of the run, and the number of cores. */
  load?: { average: number; cores: number };
  failures: Failure[];
}

/**
 * One bench/shortAfterGC.ts run: medians of `reps` 64-token streams, each after a full GC that
 * followed a stream of its own (the target's figure), and `afterOther`, after a GC that followed
 * the other contender's stream.
 */
export interface AfterGCResult {
  wire: string;
  reps: number;
  rxllmMs: number;
  floorMs: number;
  ratio: number;
  afterOther?: { rxllmMs: number; floorMs: number; ratio: number };
}

/** Medians over rounds of a contender's figures and of its ratios to the floor in the same round. */
export interface Summary {
  contender: Contender;
  runs: number;
  tokensPerSecond: number;
  ratio: number;
  /** The lowest and highest of the per-round ratios whose median is `ratio`. */
  ratioRange: [number, number];
  firstTextMs: number;
  firstTextRatio: number;
  /** The lowest and highest of the per-round first-text ratios whose median is `firstTextRatio`. */
  firstTextRange: [number, number];
  /**
   * First text against the floor read alternately in the contender's own process (same heap, same
   * moment), median and range over rounds; absent without that floor.
   */
  firstTextPaired?: { ratio: number; range: [number, number] };
  smallMs: number;
  smallOverFloorMs: number;
  peakGrowthMB: number;
  peakOverFloorMB: number;
  bytes: number;
}

export function summarize(report: BenchReport): Summary[] {
  const summaries: Summary[] = [];
  for (const contender of report.contenders) {
    const floorName = floorNameOf(contender);
    const pairs = report.results
      .map(
        (row) => [row.find((m) => m.name === contender.name), row.find((m) => m.name === floorName)] as const,
      )
      .filter(
        (pair): pair is readonly [Measurement, Measurement] => pair[0] !== undefined && pair[1] !== undefined,
      );
    if (pairs.length === 0) continue;
    const of = (pick: (m: Measurement, floor: Measurement) => number) =>
      median(pairs.map(([m, f]) => pick(m, f)));
    const ratios = pairs.map(([m, f]) => m.ms / (m.floor ?? f).ms);
    const firstTextRatios = pairs.map(([m, f]) => m.firstTextMs / f.firstTextMs);
    const pairedFirstText = pairs.flatMap(([m]) => (m.floor ? [m.firstTextMs / m.floor.firstTextMs] : []));
    summaries.push({
      contender,
      runs: pairs.length,
      tokensPerSecond: of((m) => m.tokensPerSecond),
      // Throughput against the floor measured in the contender's own process, read for read, where
      // there is one: CPU-heavy work drifts with the machine's load. Per-request latencies (a few
      // µs) against the floor's own process: in a peer's process, the heap the peer leaves behind
      // slows the floor's first text several-fold, which would flatter the peer.
      ratio: median(ratios),
      ratioRange: rangeOf(ratios),
      firstTextMs: of((m) => m.firstTextMs),
      firstTextRatio: median(firstTextRatios),
      firstTextRange: rangeOf(firstTextRatios),
      ...(pairedFirstText.length === pairs.length && {
        firstTextPaired: { ratio: median(pairedFirstText), range: rangeOf(pairedFirstText) },
      }),
      smallMs: of((m) => m.smallMs),
      smallOverFloorMs: of((m, f) => m.smallMs - f.smallMs),
      peakGrowthMB: of((m) => m.peakGrowthMB),
      peakOverFloorMB: of((m, f) => m.peakGrowthMB - f.peakGrowthMB),
      bytes: pairs[0]![0].bytes,
    });
  }
  return summaries;
}

/** The lowest and highest of per-round values. */
const rangeOf = (values: number[]): [number, number] => [Math.min(...values), Math.max(...values)];
/** A range of ratios as the tables print it: `1.35–1.52`. */
const rangeText = ([low, high]: [number, number]) => `${low.toFixed(2)}–${high.toFixed(2)}`;
const x = (ratio: number) => `${ratio < 10 ? ratio.toFixed(2) : ratio.toFixed(1)}×`;
/** A median ratio with the range over rounds: `1.40× (1.35–1.52)`. */
const xr = (s: Summary) => (s.runs > 1 ? `${x(s.ratio)} (${rangeText(s.ratioRange)})` : x(s.ratio));
const ms = (value: number, digits = 3) => value.toFixed(digits);
const signed = (value: number, digits: number) =>
  `${value >= 0 ? '+' : '−'}${Math.abs(value).toFixed(digits)}`;
const mark = (ok: boolean | undefined) => (ok === undefined ? 'n/a' : ok ? '✅ met' : '❌ missed');

interface TargetRow {
  figure: string;
  value: string;
  target: string;
  peers: string;
  ok: boolean | undefined;
}

export function targetRows(report: BenchReport, summaries: Summary[]): TargetRow[] {
  const get = (name: string) => summaries.find((s) => s.contender.name === name);
  const ratioOf = (name: string) => {
    const s = get(name);
    return s ? `${name.replace(/^rxllm /, '')} ${xr(s)}` : undefined;
  };
  const peers = (...names: string[]) =>
    names
      .map(ratioOf)
      .filter((text) => text !== undefined)
      .join('; ');
  const rows: TargetRow[] = [];
  const ratioRow = (figure: string, name: string, limit: number, peerNames: string[]) => {
    const s = get(name);
    rows.push({
      figure,
      value: s ? xr(s) : 'not run',
      target: `≤ ${limit}×`,
      peers: peers(...peerNames),
      ok: s ? s.ratio <= limit : undefined,
    });
  };
  ratioRow('decode only, OpenAI stream', 'rxllm fromSSE (openai)', 1, [
    'openai SDK',
    'AI SDK textStream (openai)',
  ]);
  ratioRow('decode only, Anthropic stream', 'rxllm fromSSE (anthropic)', 1, [
    '@anthropic-ai/sdk',
    'AI SDK textStream (anthropic)',
  ]);
  ratioRow('decode only, OpenAI Responses stream', 'rxllm fromSSE (responses)', 1, [
    'openai SDK (responses)',
    'AI SDK textStream (responses)',
  ]);
  ratioRow(
    'SSE to SSE (Anthropic in, OpenAI out, bytes), against the same-work floor',
    'rxllm fromSSE → toSSE (anthropic → openai-chat)',
    1.3,
    ['AI SDK toUIMessageStreamResponse (anthropic)', 'AI SDK toUIMessageStreamResponse (openai)'],
  );
  ratioRow('UI pipeline, OpenAI stream', 'rxllm UI pipeline (openai)', 2, []);
  ratioRow('UI pipeline, Anthropic stream', 'rxllm UI pipeline (anthropic)', 2, []);

  const decoders = ['rxllm fromSSE (openai)', 'rxllm fromSSE (anthropic)', 'rxllm fromSSE (responses)']
    .map(get)
    .filter((s) => s !== undefined);
  const worstOf = decoders.length === 2 ? 'worse of the two' : `worst of the ${decoders.length}`;
  if (decoders.length > 0) {
    const worst = Math.max(...decoders.map((s) => s.firstTextRatio));
    const wireOf = (s: Summary) => s.contender.wire;
    rows.push({
      figure: `time from first byte to first text event (64-token requests, ${worstOf}), against the floor's own process`,
      value: `${x(worst)}: ${decoders.map((s) => `${wireOf(s)} ${x(s.firstTextRatio)} (${rangeText(s.firstTextRange)}), ${ms(s.firstTextMs)} ms`).join('; ')}`,
      target: '≤ 1.5× the floor',
      peers: ttftPeers(summaries),
      ok: worst <= 1.5,
    });
    // The same few µs against the floor read alternately in rxllm's process: what the library
    // adds, without what the process's heap adds to any first text read in it.
    const paired = decoders.filter((s) => s.firstTextPaired !== undefined);
    if (paired.length === decoders.length)
      rows.push({
        figure: `the same against the floor read alternately in rxllm's own process (same heap, same moment)`,
        value: paired
          .map((s) => `${wireOf(s)} ${x(s.firstTextPaired!.ratio)} (${rangeText(s.firstTextPaired!.range)})`)
          .join(' / '),
        target: '',
        peers: '',
        ok: undefined,
      });
    const cost = Math.max(...decoders.map((s) => s.smallOverFloorMs));
    rows.push({
      figure: `library cost of a 64-token request (over the floor, ${worstOf})`,
      value: `${ms(cost)} ms`,
      target: '≤ 0.5 ms',
      peers: smallPeers(summaries),
      ok: cost <= 0.5,
    });
  }
  const streaming = summaries.filter((s) => s.contender.kind === 'rxllm' && !s.contender.collects);
  if (streaming.length > 0) {
    const worst = streaming.reduce((a, b) => (b.peakOverFloorMB > a.peakOverFloorMB ? b : a));
    rows.push({
      figure: `peak memory growth over the floor's, ${report.options.tokens.toLocaleString('en-US')} tokens, pipelines that do not collect (worst: ${worst.contender.name})`,
      value: `${signed(worst.peakOverFloorMB, 1)} MB`,
      target: '≤ 10 MB',
      peers: '',
      ok: worst.peakOverFloorMB <= 10,
    });
  }
  const rx = report.scenarios.find((s) => s.pipeline === 'rxllm');
  const fl = report.scenarios.find((s) => s.pipeline === 'floor');
  if (rx) {
    rows.push({
      figure: `memory per stream, ${rx.streams.toLocaleString('en-US')} concurrent streams (early, small buffers)`,
      value: `${rx.earlyKBPerStream.toFixed(1)} KB${fl ? ` (floor ${fl.earlyKBPerStream.toFixed(1)} KB, rxllm's own ${(rx.earlyKBPerStream - fl.earlyKBPerStream).toFixed(1)} KB)` : ''}`,
      target: '< 16 KB',
      peers: '',
      ok: rx.earlyKBPerStream < 16,
    });
    const saturated = saturation(report, rx);
    rows.push({
      figure: `event-loop delay p99, ${rx.streams.toLocaleString('en-US')} streams × ${report.concurrency.rate} tokens/s`,
      value: saturated ?? `${rx.loopDelayP99Ms.toFixed(1)} ms (p50 ${rx.loopDelayP50Ms.toFixed(1)} ms)`,
      target: '< 50 ms',
      peers: fl ? `floor ${saturation(report, fl) ?? `p99 ${fl.loopDelayP99Ms.toFixed(1)} ms`}` : '',
      ok: saturated === undefined ? rx.loopDelayP99Ms < 50 : undefined,
    });
  }
  const afterGC = report.afterGC ?? [];
  if (afterGC.length > 0) {
    const wires = [...new Set(afterGC.map((r) => r.wire))];
    const cells = (ratioOf: (result: AfterGCResult) => number | undefined) =>
      wires.map((wire) => {
        const ratios = afterGC
          .filter((r) => r.wire === wire)
          .map(ratioOf)
          .filter((ratio): ratio is number => ratio !== undefined);
        const sorted = [...ratios].sort((a, b) => a - b);
        const median = sorted[sorted.length >> 1]!;
        return {
          wire,
          median,
          text: `${wire} ${median.toFixed(2)}× (${rangeText([sorted[0]!, sorted.at(-1)!])})`,
        };
      });
    const own = cells((r) => r.ratio);
    const ms = (wire: string, pick: (r: AfterGCResult) => number) => {
      const values = afterGC.filter((r) => r.wire === wire).map(pick);
      return [...values].sort((a, b) => a - b)[values.length >> 1]!;
    };
    rows.push({
      figure: `a 64-token stream after a full GC that followed a stream of its own, over the floor's (wall time, median of ${afterGC[0]!.reps} per process, ${afterGC.filter((r) => r.wire === wires[0]).length} processes per wire: their median and range)`,
      value: own.map((cell) => cell.text).join(' / '),
      target: '≤ 1.2×',
      peers: wires
        .map(
          (wire) =>
            `${wire} ${ms(wire, (r) => r.rxllmMs).toFixed(3)} ms, floor ${ms(wire, (r) => r.floorMs).toFixed(3)} ms`,
        )
        .join('; '),
      ok: own.every((cell) => cell.median <= 1.2),
    });
    if (afterGC.every((r) => r.afterOther !== undefined)) {
      const other = cells((r) => r.afterOther?.ratio);
      rows.push({
        figure: `the same after a GC that followed the other contender's stream (the order first used)`,
        value: other.map((cell) => cell.text).join(' / '),
        target: '≤ 1.2×',
        peers: '',
        ok: other.every((cell) => cell.median <= 1.2),
      });
    }
  }
  // The target is for what a relay needs: `partial: 'none'` when it was run (its frames carry no
  // partial); the default `'full'` is shown beside it.
  const relays = report.httpScenarios?.filter((s) => s.pipeline === 'rxllm') ?? [];
  const hrx = relays.find((s) => s.partial === 'none') ?? relays[0];
  const hfl = report.httpScenarios?.find((s) => s.pipeline === 'floor');
  if (hrx && hfl) {
    const ratios = (s: HttpConcurrencyResult) =>
      `${(s.earlyKBPerStream / hfl.earlyKBPerStream).toFixed(2)}× / ${(s.lateKBPerStream / hfl.lateKBPerStream).toFixed(2)}× (${s.earlyKBPerStream.toFixed(1)} / ${s.lateKBPerStream.toFixed(1)} KB)`;
    const others = relays.filter((s) => s !== hrx);
    rows.push({
      figure: `memory per stream, ${hrx.streams.toLocaleString('en-US')} streams relayed over loopback HTTP (fromSSE${hrx.partial === undefined ? '' : ` with partial: '${hrx.partial}'`} → toSSE → pipeToNodeResponse), early / late, over the floor relay's`,
      value: ratios(hrx),
      target: '≤ 1.1×',
      peers: [
        `floor relay ${hfl.earlyKBPerStream.toFixed(1)} / ${hfl.lateKBPerStream.toFixed(1)} KB`,
        ...others.map((s) => `partial: '${s.partial ?? 'full'}' ${ratios(s)}`),
      ].join('; '),
      ok:
        hrx.earlyKBPerStream / hfl.earlyKBPerStream <= 1.1 &&
        hrx.lateKBPerStream / hfl.lateKBPerStream <= 1.1,
    });
    rows.push({
      figure: `CPU per token relayed over loopback HTTP, over the floor relay's`,
      value: `${(hrx.cpuMicrosPerToken / hfl.cpuMicrosPerToken).toFixed(2)}× (${hrx.cpuMicrosPerToken.toFixed(1)} µs)`,
      target: '',
      peers: `floor relay ${hfl.cpuMicrosPerToken.toFixed(1)} µs`,
      ok: undefined,
    });
  }
  return rows;
}

/**
 * Says that a concurrency scenario could not keep pace, or `undefined` when it did: a run whose
 * wall time exceeds the scenario's length by more than a tenth (and a second) had a saturated CPU, and its
 * loop delays measure the machine's load, not the pipeline, so no p99 is reported for it.
 */
export function saturation(report: BenchReport, scenario: ConcurrencyResult): string | undefined {
  const planned = report.concurrency.seconds * 1000;
  // A second of slack for opening and draining the streams, which a short scenario cannot hide.
  if (scenario.elapsedMs <= planned * 1.1 + 1000) return undefined;
  return `saturated: could not keep pace (${(scenario.elapsedMs / 1000).toFixed(1)} s for a ${report.concurrency.seconds} s scenario), no p99`;
}

function ttftPeers(summaries: Summary[]): string {
  return summaries
    .filter((s) => s.contender.kind === 'peer' && s.contender.group === 'decode')
    .map((s) => `${s.contender.name} ${x(s.firstTextRatio)}`)
    .join('; ');
}

function smallPeers(summaries: Summary[]): string {
  return summaries
    .filter((s) => s.contender.kind === 'peer' && s.contender.group === 'decode')
    .map((s) => `${s.contender.name} ${signed(s.smallOverFloorMs, 2)} ms`)
    .join('; ');
}

/** The machine's load during the run, as a sentence (or nothing, for a saved run without it). */
function loadLine(report: BenchReport): string[] {
  if (report.machineBusy === undefined) return [];
  const load = report.load;
  return [
    `- Machine load during the run: ${Math.round(report.machineBusy * 100)}% of all cores busy (this run and every other process on the machine)${load ? `, load average ${load.average.toFixed(1)} on ${load.cores} cores at the end` : ''}. The machine is shared with other work, so absolute times are noisy and ranges are wide; ratios are taken side by side in the same process to cancel most of it, and the concurrency scenarios say whether they kept pace.`,
  ];
}

export function renderReport(report: BenchReport): string {
  const summaries = summarize(report);
  const lines: string[] = [];
  const { options } = report;
  const mb = (name: string) => {
    const s = summaries.find((m) => m.contender.name === name);
    return s ? `${(s.bytes / 2 ** 20).toFixed(1)} MiB` : '?';
  };
  lines.push(
    '# rxllm benchmark results',
    '',
    `\`${report.command}\` on ${report.date.slice(0, 16).replace('T', ' ')} UTC, ${Math.round(report.durationS)} s.`,
    '',
    `- Machine: ${report.machine} (shared; read ratios, not absolute times)`,
    `- Versions: ${Object.entries(report.versions)
      .map(([name, version]) => `${name} ${version}`)
      .join(', ')}`,
    `- Workload: ${options.tokens.toLocaleString('en-US')} tokens of 1–6 characters (multi-byte text and JSON escapes) per stream: the OpenAI chat stream (${mb('floor (openai)')}, usage chunk and \`[DONE]\`), the Anthropic stream (${mb('floor (anthropic)')}, with pings) and the OpenAI Responses stream (${mb('floor (responses)')}, named and numbered events, each delta padded by \`obfuscation\`, the whole text again in the closing events), each cut into 1–4 KiB slices at arbitrary byte offsets and served from memory, one slice per read; the SDKs get the same slices through their \`fetch\` option.`,
    `- Method: ${report.rounds} round(s); every contender runs in a fresh process each round, in an order that rotates by round, after a warm-up, and reads the large stream ${report.options.repeats ?? 1} time(s) in that process (median CPU time, highest peak memory); every run's text is compared with the generator's. Times are CPU time of the process (user + system, GC threads included), not wall time: the machine is shared. Throughput ratios are the contender's time over the floor's on the same bytes: the floor runs in each contender's process too, alternately with it, read for read, so that a ratio compares work done at the same moment. First-text and small-request figures are compared with the floor's own process in the same round (in a peer's process the heap it leaves behind slows the floor's first text several-fold). The tables show medians over rounds, with the range over rounds in brackets. The floor is eventsource-parser plus \`JSON.parse\` of each payload, appending each text delta; SSE to SSE is compared with a same-work floor that also normalizes each delta to a plain event, serializes it as an OpenAI chunk and UTF-8 encodes the frames in socket-write batches, with plain callbacks.`,
    ...loadLine(report),
    `- Small requests: ${options.smallIterations} timed requests of ${options.smallTokens} tokens each, whole cost from the call to the last text (client creation excluded); time to first text is from the first slice handed over to the first text event.`,
    '',
    ...(options.tokens < 50_000
      ? [
          `> A quick run: ${options.tokens.toLocaleString('en-US')} tokens take a few milliseconds, where JIT warm-up and timer resolution dominate, so these ratios say little. It checks that every contender runs and reads the right text; \`npm run bench\` measures.`,
          '',
        ]
      : []),
    '## Targets',
    '',
    '| figure | rxllm | target | peers, same run | |',
    '|---|---|---|---|---|',
    ...targetRows(report, summaries).map(
      (row) => `| ${row.figure} | ${row.value} | ${row.target} | ${row.peers} | ${mark(row.ok)} |`,
    ),
    '',
    '## Every contender',
    '',
    '| contender | reads | tokens/s | × floor | first text (ms) | × floor | 64-token request (ms) | over floor (ms) | peak memory growth (MB) | over floor (MB) |',
    '|---|---|--:|--:|--:|--:|--:|--:|--:|--:|',
  );
  for (const s of summaries) {
    const c = s.contender;
    lines.push(
      `| ${c.kind === 'rxllm' ? `**${c.name}**` : c.name} | ${c.wire} | ${Math.round(s.tokensPerSecond).toLocaleString('en-US')} | ${xr(s)} | ${ms(s.firstTextMs)} | ${x(s.firstTextRatio)} | ${ms(s.smallMs)} | ${signed(s.smallOverFloorMs, 3)} | ${s.peakGrowthMB.toFixed(1)}${c.collects ? ' (keeps its output)' : ''} | ${signed(s.peakOverFloorMB, 1)} |`,
    );
  }
  if (report.scenarios.length > 0) {
    const { streams, seconds, rate } = report.concurrency;
    lines.push(
      '',
      '## Concurrency',
      '',
      `${streams.toLocaleString('en-US')} streams open at once, each fed one OpenAI chunk every ${1000 / rate} ms (${rate} tokens/s) by one shared 10 ms timer for ${seconds} s, through an in-memory \`ReadableStream\` per stream. The floor reads each with eventsource-parser + \`JSON.parse\`; rxllm with \`fromSSE\` → \`aggregateUsage()\`. Both keep the text. Heap per stream is measured after a forced GC, one second in (while buffers are small) and four fifths of the way in. Event-loop delay is how late a 5 ms interval timer fires (the forced GCs left out). The wall time shows whether the machine kept up: when it exceeds the scenario's ${seconds} s, the CPU was saturated (the machine is shared), and the delays measure that as much as the pipeline; CPU per token is the figure that compares the two pipelines.`,
      '',
      '| pipeline | streams | tokens per stream | heap per stream, early (KB) | late (KB) | CPU per token (µs) | loop delay p50 (ms) | p99 (ms) | max (ms) | wall time (s) |',
      '|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|',
      ...report.scenarios.map((s) =>
        saturation(report, s) === undefined
          ? `| ${s.pipeline} | ${s.streams.toLocaleString('en-US')} | ${s.tokensPerStream} | ${s.earlyKBPerStream.toFixed(1)} | ${s.lateKBPerStream.toFixed(1)} | ${s.cpuMicrosPerToken.toFixed(1)} | ${s.loopDelayP50Ms.toFixed(1)} | ${s.loopDelayP99Ms.toFixed(1)} | ${s.loopDelayMaxMs.toFixed(1)} | ${(s.elapsedMs / 1000).toFixed(1)} |`
          : `| ${s.pipeline} | ${s.streams.toLocaleString('en-US')} | ${s.tokensPerStream} | ${s.earlyKBPerStream.toFixed(1)} | ${s.lateKBPerStream.toFixed(1)} | ${s.cpuMicrosPerToken.toFixed(1)} | saturated | saturated | saturated | ${(s.elapsedMs / 1000).toFixed(1)} (could not keep pace) |`,
      ),
    );
  }
  if (report.httpScenarios !== undefined && report.httpScenarios.length > 0) {
    const first = report.httpScenarios[0]!;
    lines.push(
      '',
      '## Concurrency over loopback HTTP',
      '',
      `\`bench/httpConcurrency.ts\`: ${first.streams.toLocaleString('en-US')} streams of ${first.tokensPerStream} tokens relayed at once over real loopback HTTP. A second process runs the upstream server (one OpenAI chunk per stream every ${1000 / first.rate} ms, ${first.rate} tokens/s, on one shared timer) and the clients, which check every stream's text; the measured process only relays, reading upstream with \`node:http\`: rxllm with \`fromSSE\` → \`toSSE({ dialect: 'openai-chat' })\` → \`pipeToNodeResponse\` (once per \`partial\` mode of \`fromSSE\`: \`'full'\`, the default, keeps the message so far for a failure's \`partial\`; \`'none'\` keeps nothing, all a relay needs since its error frames do not carry it; the target row is for \`'none'\`), the floor with eventsource-parser, \`JSON.parse\`, a plain event, \`JSON.stringify\` of an OpenAI chunk and \`res.write\` in plain callbacks. Heap per stream after a forced GC a fifth and four fifths of the way; CPU time of the relay process per token. "Schedule" is how long the upstream's send schedule took over its plan: above 1.1 the run fell behind (the machine could not keep pace), and no delay percentile is given for it. "Machine busy" is all cores' use during the scenario, other processes included.`,
      '',
      '| relay | streams | tokens per stream | heap per stream, early (KB) | late (KB) | CPU per token (µs) | schedule | machine busy | loop delay p99 (ms) | wall time (s) |',
      '|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|',
      ...report.httpScenarios.map(
        (s) =>
          `| ${s.partial === undefined ? s.pipeline : `${s.pipeline}, partial: '${s.partial}'`} | ${s.streams.toLocaleString('en-US')} | ${s.tokensPerStream} | ${s.earlyKBPerStream.toFixed(1)} | ${s.lateKBPerStream.toFixed(1)} | ${s.cpuMicrosPerToken.toFixed(1)} | ${s.scheduleRatio.toFixed(2)}× | ${Math.round(s.machineBusy * 100)}% | ${s.keptPace && s.loopDelayP99Ms !== undefined ? s.loopDelayP99Ms.toFixed(1) : 'fell behind: none'} | ${(s.elapsedMs / 1000).toFixed(1)} |`,
      ),
    );
  }
  if (report.failures.length > 0) {
    lines.push('', '## Failures', '');
    for (const failure of report.failures)
      lines.push(`- ${failure.name}, round ${failure.round + 1}: ${failure.error.split('\n')[0]}`);
  }
  lines.push(
    '',
    '## Reading the tables',
    '',
    '- "keeps its output": bytes-out contenders keep what they wrote, to check its text after the clock stops, so their peak memory includes the whole output; the memory target is for pipelines that do not collect.',
    "- The UI pipeline's first text waits, by design, for `bufferTokens({ count: 8, timeMs: 16 })` to gather 8 tokens (served from memory, the 16 ms timer never fires first); the time-to-first-text target is for decoding.",
    '- `fromSSE → toSSE → toResponse` is the same SSE-to-SSE work delivered through a web `ReadableStream` (the frames waiting at each read joined into one chunk), shown for what that hop costs; the SSE-to-SSE target is for the frames themselves, written to a byte buffer as a socket write would.',
    '- A decode ratio below 1× is work not done, not noise: rxllm frames SSE with its own parser, and a text delta of the known shape takes a checked fast path that parses only its text string (any other line goes through the full decoder, which the fast path is held to by a property test), where the floor runs eventsource-parser and a whole `JSON.parse` of every payload.',
    '',
    '![ratios to the floor](ratios.svg)',
    '',
  );
  return lines.join('\n');
}

/** A horizontal bar chart of each contender's throughput ratio to the floor, on a log scale. */
export function renderChart(report: BenchReport): string {
  const summaries = summarize(report).filter((s) => s.contender.kind !== 'floor');
  const targets: Record<string, number> = { decode: 1, sse: 1.3, ui: 2 };
  const labelWidth = 480;
  const plotWidth = 420;
  const rowHeight = 24;
  const top = 44;
  const height = top + summaries.length * rowHeight + 40;
  const width = labelWidth + plotWidth + 70;
  const max = Math.max(10, ...summaries.map((s) => s.ratio * 1.1));
  const decades = Math.ceil(Math.log10(max));
  const scale = (ratio: number) => labelWidth + (Math.log10(Math.max(1, ratio)) / decades) * plotWidth;
  const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="10" y="20" font-size="14" font-weight="bold">CPU time per stream as a multiple of the floor's (eventsource-parser + JSON.parse), lower is better</text>`,
    `<text x="10" y="36" fill="#555">${escape(`${report.options.tokens.toLocaleString('en-US')} tokens, median of ${report.rounds} round(s) with their range, ${report.date.slice(0, 10)}; red ticks: rxllm's targets`)}</text>`,
  ];
  for (const tick of [1, 2, 5, 10, 20, 50, 100, 200, 500].filter((t) => t <= 10 ** decades)) {
    const at = scale(tick);
    parts.push(
      `<line x1="${at}" y1="${top - 4}" x2="${at}" y2="${height - 30}" stroke="#ddd"/>`,
      `<text x="${at}" y="${height - 16}" text-anchor="middle" fill="#555">${tick}×</text>`,
    );
  }
  summaries.forEach((s, i) => {
    const y = top + i * rowHeight;
    const rx = s.contender.kind === 'rxllm';
    const end = Math.max(scale(s.ratio), labelWidth + 2);
    // The web-stream variant is shown for what a `Response` hop costs; the target is the plain one's.
    const target =
      rx && !s.contender.name.includes('toResponse') ? scale(targets[s.contender.group]!) : undefined;
    parts.push(
      `<text x="${labelWidth - 8}" y="${y + 15}" text-anchor="end"${rx ? ' font-weight="bold"' : ''}>${escape(s.contender.name)}</text>`,
      `<rect x="${labelWidth}" y="${y + 4}" width="${end - labelWidth}" height="${rowHeight - 8}" fill="${rx ? '#2563eb' : '#9ca3af'}"/>`,
      `<text x="${Math.max(end, scale(s.ratioRange[1]), target ?? 0) + 6}" y="${y + 15}">${xr(s)}</text>`,
    );
    if (s.runs > 1) {
      // The range over rounds: a whisker across the bar's end.
      const [low, high] = s.ratioRange.map(scale) as [number, number];
      parts.push(
        `<line x1="${low}" y1="${y + rowHeight / 2}" x2="${high}" y2="${y + rowHeight / 2}" stroke="#111" stroke-width="1.5"/>`,
        `<line x1="${low}" y1="${y + 7}" x2="${low}" y2="${y + rowHeight - 7}" stroke="#111" stroke-width="1.5"/>`,
        `<line x1="${high}" y1="${y + 7}" x2="${high}" y2="${y + rowHeight - 7}" stroke="#111" stroke-width="1.5"/>`,
      );
    }
    if (target !== undefined) {
      parts.push(
        `<line x1="${target}" y1="${y + 1}" x2="${target}" y2="${y + rowHeight - 1}" stroke="#dc2626" stroke-width="2"/>`,
      );
    }
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
