/**
 * The leak soak, in CI size: every source and every mergeTracks strategy subscribed and
 * unsubscribed mid-stream, against the replay server, in a child process with --expose-gc.
 * Asserts that each cycle's sockets close, no handle is left behind and the heap does not grow.
 * `npm run soak` runs the full 2,000 cycles per scenario (a few minutes).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

interface SoakResult {
  name: string;
  cycles: number;
  heapGrowthBytes: number;
  socketsOpened: number;
  socketsClosed: number;
  socketsOpenBefore: number;
  socketsOpenAfter: number;
  handlesBefore: string;
  handlesAfter: string;
}

async function soak(cycles: number, only?: string): Promise<SoakResult[]> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [
      '--expose-gc',
      '--import',
      'tsx',
      'test/hardening/leakSoakChild.ts',
      String(cycles),
      ...(only ? [only] : []),
    ],
    { cwd: process.cwd(), maxBuffer: 1 << 20 },
  );
  return stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as SoakResult);
}

/** The leak this guards against cost 11-23 KB per cycle; a fixed cost under 1 MB is noise. */
const heapBound = 1_000_000;

describe('leak soak (CI size)', () => {
  it.each(['fromSSE', 'fromOpenAI', 'fromOpenAIResponses', 'fromAnthropic', 'fromOllama'])(
    '%s: 300 mid-stream unsubscribes close their sockets, leave no handle and no heap',
    async (name) => {
      const [result] = await soak(300, name);
      expect(result).toMatchObject({ name, cycles: 300 });
      expect(result!.socketsOpenAfter).toBeLessThanOrEqual(result!.socketsOpenBefore);
      expect(result!.socketsClosed).toBeGreaterThanOrEqual(500);
      expect(result!.handlesAfter.split(',').length).toBeLessThanOrEqual(
        result!.handlesBefore.split(',').length,
      );
      expect(result!.heapGrowthBytes).toBeLessThan(heapBound);
    },
    120_000,
  );

  it.each(['interleave', 'race', 'fallback', 'hedge', 'handoff', 'compare'])(
    'mergeTracks %s: 40 mid-stream unsubscribes close every track, leave no handle and no heap',
    async (strategy) => {
      const [result] = await soak(40, `mergeTracks ${strategy}`);
      expect(result).toMatchObject({ name: `mergeTracks ${strategy}`, cycles: 40 });
      expect(result!.socketsOpenAfter).toBeLessThanOrEqual(result!.socketsOpenBefore);
      expect(result!.handlesAfter.split(',').length).toBeLessThanOrEqual(
        result!.handlesBefore.split(',').length,
      );
      expect(result!.heapGrowthBytes).toBeLessThan(heapBound);
    },
    120_000,
  );
});
