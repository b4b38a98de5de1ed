import { getWeather } from '../../demo/agent';
import { runDemo } from './runDemo';

/** The `step N usage: I in · O out · finish: R` lines, as numbers. */
function stepUsage(stdout: string) {
  return [...stdout.matchAll(/^ {2}step (\d) usage: (\d+) in · (\d+) out · finish: ([\w-]+)$/gm)].map(
    (match) => ({
      step: Number(match[1]),
      input: Number(match[2]),
      output: Number(match[3]),
      finish: match[4],
    }),
  );
}

describe('npm run demo -- --agent (embedded local model)', () => {
  jest.setTimeout(60_000);

  it('shows the tool call, its result, each step’s usage, the total and the answer', async () => {
    const { code, stdout, stderr } = await runDemo([
      '--agent',
      '--speed',
      '4',
      '--prompt',
      'How warm is it in Oslo?',
    ]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const weather = await getWeather.execute(
      { city: 'Oslo' },
      { signal: new AbortController().signal, toolCallId: 'x' },
    );
    expect(stdout).toContain('→ call get_weather {"city":"Oslo"}');
    expect(stdout).toMatch(
      new RegExp(`← get_weather returned ${JSON.stringify(weather).replace(/[{}]/g, '\\$&')} \\(\\d+ ms\\)`),
    );
    const steps = stepUsage(stdout);
    expect(steps.map(({ step, finish }) => [step, finish])).toEqual([
      [0, 'tool-calls'],
      [1, 'stop'],
    ]);
    // The second request carries the call and its result, so the model read more.
    expect(steps[1]!.input).toBeGreaterThan(steps[0]!.input);
    const total = /^total usage: (\d+) in · (\d+) out · (\d+) tokens$/m.exec(stdout);
    expect(total?.slice(1).map(Number)).toEqual([
      steps[0]!.input + steps[1]!.input,
      steps[0]!.output + steps[1]!.output,
      steps[0]!.input + steps[1]!.input + steps[0]!.output + steps[1]!.output,
    ]);
    const { tempC, sky } = weather as { tempC: number; sky: string };
    const answer = `It is ${tempC}°C and ${sky} in Oslo right now, according to the get_weather tool.`;
    expect(stdout).toContain(`answer: ${answer}`);
    // In order: the call, its result, step 0's usage, then step 1 streams the answer.
    const at = (text: string) => stdout.indexOf(text);
    expect(at('→ call')).toBeLessThan(at('← get_weather'));
    expect(at('← get_weather')).toBeLessThan(at('step 0 usage'));
    expect(at('step 0 usage')).toBeLessThan(at(`  ${answer}`));
  });
});
