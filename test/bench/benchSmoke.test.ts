import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import type { HttpConcurrencyResult } from '../../bench/httpConcurrency';
import { contenderNamed, contenders, Network, newProbe, textOf, textOfSSE } from '../../bench/contenders';
import { runConcurrency } from '../../bench/concurrency';
import { generateStream, generateTokens, openAIBody, responsesBody } from '../../bench/generate';
import { checkText, measure } from '../../bench/measure';
import { renderChart, renderReport, type BenchReport } from '../../bench/report';

/** A report of one round with nothing measured: each test sets what it renders. */
function benchReport(fields: Partial<BenchReport>): BenchReport {
  return {
    date: '2026-01-01T00:00:00Z',
    command: 'npm run bench',
    durationS: 1,
    machine: 'test',
    versions: {},
    rounds: 1,
    options: { tokens: 1000, smallTokens: 64, smallIterations: 1, seed: 1 },
    concurrency: { streams: 1, seconds: 1, rate: 20 },
    contenders: [],
    results: [],
    scenarios: [],
    failures: [],
    ...fields,
  };
}

/** One contender's measurement in a round: only its CPU time matters to the ratios. */
const measurement = (name: string, ms: number) => ({
  name,
  tokens: 1000,
  bytes: 1,
  ms,
  wallMs: ms,
  tokensPerSecond: 1000,
  firstTextMs: 1,
  smallMs: 1,
  peakGrowthMB: 1,
  textLength: 1,
});

// The benchmark's behaviour, never its timings: the generator makes what the issue describes,
// every contender reads it correctly, and a wrong text is caught.

describe('bench generator', () => {
  it('makes the same stream for the same seed and a different one for another seed', () => {
    expect(generateStream('openai', 300, 5).text).toBe(generateStream('openai', 300, 5).text);
    expect(generateStream('openai', 300, 5).text).not.toBe(generateStream('openai', 300, 6).text);
  });

  it('makes tokens of 1 to 6 characters with multi-byte text and characters JSON escapes', () => {
    const tokens = generateTokens(5_000, 1);
    const lengths = tokens.map((token) => [...token].length);
    expect(Math.min(...lengths)).toBe(1);
    expect(Math.max(...lengths)).toBe(6);
    const all = tokens.join('');
    expect(all).toMatch(/[é中😀]/u);
    expect(all).toContain('"');
    expect(all).toContain('\\');
    expect(all).toContain('\n');
  });

  it('writes one OpenAI chunk per token, then a finish chunk, a usage chunk and [DONE]', () => {
    const lines = openAIBody(['Hi', ' "x"'])
      .split('\n\n')
      .filter((line) => line !== '');
    expect(lines).toHaveLength(6);
    expect(JSON.parse(lines[1]!.slice(6)).choices[0].delta.content).toBe('Hi');
    expect(JSON.parse(lines[2]!.slice(6)).choices[0].delta.content).toBe(' "x"');
    expect(JSON.parse(lines[3]!.slice(6)).choices[0].finish_reason).toBe('stop');
    expect(JSON.parse(lines[4]!.slice(6)).usage).toEqual(
      expect.objectContaining({ prompt_tokens: 24, completion_tokens: 2, total_tokens: 26 }),
    );
    expect(lines[5]).toBe('data: [DONE]');
  });

  it('writes the Responses stream as the API does: numbered named events, one delta per token, the text again at the end', () => {
    const events = responsesBody(['Hi', ' "x"'])
      .split('\n\n')
      .filter((block) => block !== '')
      .map((block) => {
        const [name, data] = block.split('\n');
        const json = JSON.parse(data!.slice('data: '.length));
        expect(name).toBe(`event: ${json.type}`);
        return json;
      });
    expect(events.map((event) => event.type)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.delta',
      'response.output_text.delta',
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.completed',
    ]);
    expect(events.map((event) => event.sequence_number)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(events.slice(4, 6).map((event) => event.delta)).toEqual(['Hi', ' "x"']);
    // Padded as the API pads deltas, so that a delta's length does not show in the line's.
    expect(events[4].obfuscation).toMatch(/^[A-Za-z0-9]{14}$/);
    expect(events[6].text).toBe('Hi "x"');
    expect(events[9].response.output[0].content[0].text).toBe('Hi "x"');
    expect(events[9].response.usage).toEqual(expect.objectContaining({ output_tokens: 2, total_tokens: 26 }));
  });

  it('cuts the bytes into 1–4 KiB slices, some of them inside a UTF-8 character', () => {
    const stream = generateStream('anthropic', 3_000, 1);
    const sizes = stream.slices.map((slice) => slice.length);
    expect(sizes.slice(0, -1).every((size) => size >= 1024 && size <= 4096)).toBe(true);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(stream.bytes);
    // A slice that begins with a UTF-8 continuation byte was cut inside a character.
    expect(stream.slices.some((slice) => (slice[0]! & 0xc0) === 0x80)).toBe(true);
  });
});

describe('bench contenders', () => {
  it.each(contenders.map((contender) => [contender.name, contender] as const))(
    '%s reads 2,000 generated tokens to exactly the generated text',
    async (_name, contender) => {
      const network = new Network();
      const serve = contender.setup(network);
      const stream = generateStream(contender.wire, 2_000, 3);
      const probe = newProbe();
      network.set(stream, probe);
      const text = textOf(await serve(stream, probe));
      expect(text).toBe(stream.text);
      expect(probe.firstText).toBeGreaterThanOrEqual(probe.firstByte);
    },
  );

  it('measures a contender end to end with the floor alongside, both texts checked', async () => {
    const result = await measure(
      contenders.find((c) => c.name === 'rxllm fromSSE (anthropic)')!,
      { tokens: 2_000, smallTokens: 64, smallIterations: 2, repeats: 2, seed: 1 },
      contenders.find((c) => c.name === 'floor (anthropic)')!,
    );
    expect(result.tokens).toBe(2_000);
    expect(result.textLength).toBe(generateStream('anthropic', 2_000, 1).text.length);
    expect(Object.keys(result.floor ?? {}).sort()).toEqual(['firstTextMs', 'ms', 'smallMs']);
  });

  it('measures the floor without a floor alongside', async () => {
    const floor = contenders.find((c) => c.name === 'floor (openai)')!;
    const result = await measure(floor, { tokens: 500, smallTokens: 64, smallIterations: 1, seed: 1 }, floor);
    expect(result.floor).toBeUndefined();
  });

  it('rejects a text that differs in one character, saying where', () => {
    const stream = generateStream('openai', 100, 1);
    const wrong = `${stream.text.slice(0, 10)}#${stream.text.slice(11)}`;
    expect(() => checkText('x', wrong, stream)).toThrow('first difference at 10');
    expect(() => checkText('x', stream.text, stream)).not.toThrow();
  });

  it('reads text out of OpenAI chunks and AI SDK UI frames', () => {
    expect(
      textOfSSE(
        'data: {"choices":[{"delta":{"content":"a"}}]}\n\ndata: {"choices":[]}\n\ndata: [DONE]\n\n',
        'openai-chat',
      ),
    ).toBe('a');
    expect(
      textOfSSE(
        'data: {"type":"text-start","id":"0"}\n\ndata: {"type":"text-delta","id":"0","delta":"b"}\n\n',
        'ai-sdk-ui',
      ),
    ).toBe('b');
  });
});

describe('bench concurrency scenario', () => {
  it.each(['floor', 'rxllm'] as const)(
    'runs 20 %s streams of 10 tokens each to the right texts',
    async (pipeline) => {
      const result = await runConcurrency({ pipeline, streams: 20, seconds: 0.5, rate: 20 });
      expect(result.streams).toBe(20);
      expect(result.tokensPerStream).toBe(10);
    },
  );
});

describe('bench report', () => {
  it('marks a target met or missed from the ratio to the floor in the same round', () => {
    const report = benchReport({
      contenders: contenders.filter((c) => c.wire === 'openai' && c.group === 'decode'),
      results: [[measurement('floor (openai)', 100), measurement('rxllm fromSSE (openai)', 130)]],
    });
    expect(renderReport(report)).toContain('| decode only, OpenAI stream | 1.30× | ≤ 1× |  | ❌ missed |');
    report.results = [[measurement('floor (openai)', 100), measurement('rxllm fromSSE (openai)', 90)]];
    expect(renderReport(report)).toContain('| decode only, OpenAI stream | 0.90× | ≤ 1× |  | ✅ met |');

    // Several rounds: the median with the range over rounds, side by side.
    report.rounds = 3;
    report.results = [130, 90, 110].map((ms) => [
      measurement('floor (openai)', 100),
      measurement('rxllm fromSSE (openai)', ms),
    ]);
    expect(renderReport(report)).toContain(
      '| decode only, OpenAI stream | 1.10× (0.90–1.30) | ≤ 1× |  | ❌ missed |',
    );
    expect(renderChart(report)).toContain('1.10× (0.90–1.30)');
  });

  it('holds the Responses decode to the floor on the Responses stream, and counts it in the first-text row', () => {
    const report = benchReport({
      contenders: contenders.filter((c) => c.group === 'decode' && c.kind !== 'peer'),
      results: [
        [
          measurement('floor (openai)', 100),
          measurement('floor (anthropic)', 100),
          measurement('floor (responses)', 100),
          measurement('rxllm fromSSE (openai)', 90),
          measurement('rxllm fromSSE (anthropic)', 90),
          measurement('rxllm fromSSE (responses)', 105),
        ],
      ],
    });
    const markdown = renderReport(report);
    expect(markdown).toContain('| decode only, OpenAI Responses stream | 1.05× | ≤ 1× |  | ❌ missed |');
    expect(markdown).toContain('64-token requests, worst of the 3');
  });

  it('compares SSE to SSE with the same-work floor', () => {
    const names = [
      'floor (anthropic)',
      'floor SSE → SSE (anthropic → openai-chat)',
      'rxllm fromSSE → toSSE (anthropic → openai-chat)',
    ];
    const report = benchReport({
      contenders: names.map(contenderNamed),
      results: [[measurement(names[0]!, 100), measurement(names[1]!, 150), measurement(names[2]!, 180)]],
    });
    // 180 / 150, not 180 / 100 (the decode floor).
    expect(renderReport(report)).toContain('against the same-work floor | 1.20× | ≤ 1.3× |');
  });

  it('reports a concurrency run that could not keep pace as saturated, without a p99', () => {
    const scenario = (elapsedMs: number) => ({
      pipeline: 'rxllm' as const,
      streams: 5000,
      tokensPerStream: 600,
      earlyKBPerStream: 10,
      lateKBPerStream: 20,
      cpuMicrosPerToken: 3,
      loopDelayP50Ms: 2,
      loopDelayP99Ms: 15.2,
      loopDelayMaxMs: 40,
      elapsedMs,
    });
    const report = benchReport({
      concurrency: { streams: 5000, seconds: 30, rate: 20 },
      scenarios: [scenario(31_000)],
    });
    expect(renderReport(report)).toContain('15.2 ms (p50 2.0 ms)');
    report.scenarios = [scenario(137_000)] as unknown as BenchReport['scenarios'];
    const text = renderReport(report);
    expect(text).toContain('saturated: could not keep pace (137.0 s for a 30 s scenario), no p99');
    expect(text).not.toContain('15.2');
  });

  it('relays 20 streams over loopback HTTP through both relays, every text checked, pace reported', () => {
    // A process of its own (the script forks its load process): it exits non-zero on a wrong text.
    const out = execFileSync(
      process.execPath,
      ['--expose-gc', '--import', 'tsx', 'bench/httpConcurrency.ts', '--streams', '20', '--seconds', '0.5'],
      { cwd: join(__dirname, '../..'), encoding: 'utf8', timeout: 60_000 },
    );
    const results = out
      .split('\n')
      .filter((line) => line.startsWith('RESULT '))
      .map((line) => JSON.parse(line.slice(7)) as HttpConcurrencyResult);
    expect(results.map((result) => [result.pipeline, result.partial])).toEqual([
      ['floor', undefined],
      ['rxllm', 'full'],
      ['rxllm', 'none'],
    ]);
    for (const result of results) {
      expect(result).toMatchObject({ streams: 20, tokensPerStream: 10, rate: 20 });
      expect(result.earlyKBPerStream).toBeGreaterThan(0);
      expect(result.cpuMicrosPerToken).toBeGreaterThan(0);
      expect(result.scheduleRatio).toBeGreaterThan(0);
      // A percentile only for a run that kept pace.
      expect(result.loopDelayP99Ms === undefined).toBe(!result.keptPace);
    }
  }, 90_000);

  it('reports an HTTP run that fell behind without a delay percentile, and the machine load', () => {
    const http = (pipeline: 'rxllm' | 'floor', keptPace: boolean): HttpConcurrencyResult => ({
      pipeline,
      streams: 5000,
      tokensPerStream: 600,
      rate: 20,
      earlyKBPerStream: pipeline === 'rxllm' ? 33 : 30,
      lateKBPerStream: pipeline === 'rxllm' ? 36 : 30,
      cpuMicrosPerToken: 10,
      scheduleRatio: keptPace ? 1.01 : 2.5,
      machineBusy: 0.97,
      keptPace,
      ...(keptPace ? { loopDelayP99Ms: 12.5 } : {}),
      elapsedMs: 31_000,
    });
    const report = benchReport({
      concurrency: { streams: 5000, seconds: 30, rate: 20 },
      httpScenarios: [http('floor', true), http('rxllm', false)],
      machineBusy: 0.93,
      load: { average: 9.5, cores: 2 },
    });
    const text = renderReport(report);
    expect(text).toContain('93% of all cores busy');
    expect(text).toContain('load average 9.5 on 2 cores');
    expect(text).toContain('| floor | 5,000 | 600 | 30.0 | 30.0 | 10.0 | 1.01× | 97% | 12.5 |');
    expect(text).toContain('| rxllm | 5,000 | 600 | 33.0 | 36.0 | 10.0 | 2.50× | 97% | fell behind: none |');
    expect(text).toContain(
      '1.10× / 1.20× (33.0 / 36.0 KB) | ≤ 1.1× | floor relay 30.0 / 30.0 KB | ❌ missed |',
    );
  });

  it("holds the HTTP relay to the target with partial: 'none', the default 'full' beside it", () => {
    const http = (partial: 'full' | 'none' | undefined, kb: number): HttpConcurrencyResult => ({
      pipeline: partial === undefined ? 'floor' : 'rxllm',
      ...(partial !== undefined && { partial }),
      streams: 5000,
      tokensPerStream: 600,
      rate: 20,
      earlyKBPerStream: kb,
      lateKBPerStream: partial === 'full' ? kb + 3 : kb,
      cpuMicrosPerToken: 10,
      scheduleRatio: 1.01,
      machineBusy: 0.9,
      keptPace: true,
      loopDelayP99Ms: 12.5,
      elapsedMs: 31_000,
    });
    const report = benchReport({
      concurrency: { streams: 5000, seconds: 30, rate: 20 },
      httpScenarios: [http(undefined, 10), http('full', 14), http('none', 10.5)],
    });
    const text = renderReport(report);
    expect(text).toContain("| rxllm, partial: 'full' | 5,000 | 600 | 14.0 | 17.0 |");
    expect(text).toContain("| rxllm, partial: 'none' | 5,000 | 600 | 10.5 | 10.5 |");
    expect(text).toContain(
      "(fromSSE with partial: 'none' → toSSE → pipeToNodeResponse), early / late, over the floor relay's | 1.05× / 1.05× (10.5 / 10.5 KB) | ≤ 1.1× | floor relay 10.0 / 10.0 KB; partial: 'full' 1.40× / 1.70× (14.0 / 17.0 KB) | ✅ met",
    );
  });
});
