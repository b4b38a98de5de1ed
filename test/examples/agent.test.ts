import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { weatherAgent as aiSdkAgent } from '../../examples/agent/aiSdkAgent';
import { weatherAgent as rxllmAgent } from '../../examples/agent/rxllmAgent';
import type { ReplayServer } from '../../src/testing/createReplayServer';
import { replaySteps } from '../support/replaySteps';

/** A replay server that answers the two requests of the recorded weather-agent exchange. */
const replay = () =>
  replaySteps(
    '/v1/chat/completions',
    'openai-chat/weather-agent-step0.sse',
    'openai-chat/weather-agent-step1.sse',
  );

/** Lines that are neither blank nor comments (`//` lines; the files have no block comments). */
function codeLines(file: string): number {
  const text = readFileSync(resolve(__dirname, '../../examples/agent', file), 'utf8');
  expect(text).not.toContain('/*');
  return text.split('\n').filter((line) => line.trim() !== '' && !line.trim().startsWith('//')).length;
}

describe('examples/agent: the weather agent with rxllm and with the AI SDK', () => {
  const servers: ReplayServer[] = [];
  afterAll(() => Promise.all(servers.map((server) => server.close())));

  it('reaches the same answer on the same recorded exchange, with the same total usage', async () => {
    const question = 'Weather in Paris and Oslo, and the forecast?';
    const [forRxllm, forAiSdk] = await Promise.all([replay(), replay()]);
    servers.push(forRxllm, forAiSdk);
    const rxllm = await rxllmAgent(forRxllm.openaiBaseURL, question);
    const aiSdk = await aiSdkAgent(forAiSdk.openaiBaseURL, question);

    expect(rxllm.text).toBe("It's 21°C and sunny in Paris. I couldn't look up Oslo or the forecast.");
    expect(aiSdk.text).toBe(rxllm.text);
    expect(forRxllm.requests).toHaveLength(2);
    expect(forAiSdk.requests).toHaveLength(2);
    // Both steps' usage, summed: 112 + 241 in, 61 + 18 out.
    expect(rxllm.totalUsage).toMatchObject({ inputTokens: 353, outputTokens: 79, totalTokens: 432 });
    expect({
      inputTokens: aiSdk.totalUsage.inputTokens,
      outputTokens: aiSdk.totalUsage.outputTokens,
      totalTokens: aiSdk.totalUsage.totalTokens,
    }).toEqual({
      inputTokens: rxllm.totalUsage!.inputTokens,
      outputTokens: rxllm.totalUsage!.outputTokens,
      totalTokens: rxllm.totalUsage!.totalTokens,
    });

    // Both sent the model the same tool results: the AI SDK's second request, as rxllm's, has the
    // Paris weather, and an error for each of the other two calls.
    const toolMessages = (server: ReplayServer) =>
      (
        (server.requests[1]!.json as { messages: Array<{ role: string; tool_call_id?: string }> }).messages ??
        []
      )
        .filter((message) => message.role === 'tool')
        .map((message) => message.tool_call_id);
    expect(toolMessages(forAiSdk)).toEqual(toolMessages(forRxllm));
  });

  it('rxllm’s agent is not longer than the AI SDK’s', () => {
    const rxllm = codeLines('rxllmAgent.ts');
    const aiSdk = codeLines('aiSdkAgent.ts');
    expect(rxllm).toBeGreaterThan(20);
    expect(rxllm).toBeLessThanOrEqual(aiSdk);
  });
});
