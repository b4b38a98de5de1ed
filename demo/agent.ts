// npm run demo -- --agent: a local model calls a tool, rxllm's runTools runs it and calls the
// model again, and the terminal shows each step: the call, the result, the step's usage, the answer.
import { z } from 'zod';
import type { RxllmEvent, Usage } from '../src/base/events';
import { fromOllama } from '../src/sources/fromOllama';
import { defineTool } from '../src/tools/defineTool';
import { runTools } from '../src/tools/runTools';
import { toOllamaMessages } from '../src/tools/toOllamaMessages';
import { toOllamaTools } from '../src/tools/toOllamaTools';
import { models, startModelServer, type ModelServer } from './modelServer';
import { describeError } from './stats';

export const defaultAgentPrompt = 'What is the weather in Paris?';

/** The demo's one tool: made-up but stable weather, so that every run tells the same story. */
export const getWeather = defineTool({
  name: 'get_weather',
  description: 'The current weather in a city',
  input: z.object({ city: z.string().min(1) }),
  execute: async ({ city }) => {
    const hash = [...city].reduce((sum, char) => (sum * 31 + char.codePointAt(0)!) % 1009, 7);
    return { city, tempC: 8 + (hash % 18), sky: ['sunny', 'cloudy', 'rainy', 'clear'][hash % 4]! };
  },
});

export interface AgentOptions {
  prompt: string;
  speed: number;
  out: NodeJS.WritableStream;
  paint: (code: string, text: string) => string;
  env?: NodeJS.ProcessEnv;
}

const usageLine = (usage: Usage | undefined) =>
  usage === undefined ? 'usage not reported' : `${usage.inputTokens} in · ${usage.outputTokens} out`;

/** Runs the agent and writes it to `out`; resolves with the exit status. */
export async function runAgent(options: AgentOptions): Promise<number> {
  const { out, paint } = options;
  const env = options.env ?? process.env;
  const host = env.OLLAMA_HOST?.trim() || undefined;
  let server: ModelServer | undefined;
  if (host === undefined) server = await startModelServer({ speed: options.speed });
  const baseUrl = host === undefined ? server!.url : /^https?:\/\//.test(host) ? host : `http://${host}`;
  const model = host === undefined ? models.ollama : (env.OLLAMA_MODEL ?? 'llama3.2');
  const where = host === undefined ? 'embedded Ollama replay' : `Ollama at ${baseUrl}`;
  out.write(
    `${paint('1', 'rxllm demo --agent')}: runTools with ${model} (${where}), tool get_weather, prompt: ${JSON.stringify(options.prompt)}\n`,
  );

  const messages = [{ role: 'user' as const, content: options.prompt }];
  const tools = [getWeather];
  let answer = '';
  let atLineStart = true;
  const line = (text: string) => {
    out.write(`${atLineStart ? '' : '\n'}${text}\n`);
    atLineStart = true;
  };
  const show = (event: RxllmEvent) => {
    switch (event.type) {
      case 'step-start':
        answer = '';
        line(`\n${paint('1', `step ${event.step}`)} · ${model}`);
        return;
      case 'text':
        if (atLineStart) out.write('  ');
        out.write(event.text.replace(/\n/g, '\n  '));
        answer += event.text;
        atLineStart = false;
        return;
      case 'tool-call':
        line(`  ${paint('36', `→ call ${event.name}`)} ${event.argsText}`);
        return;
      case 'tool-result':
        if (event.preliminary === true) return;
        line(
          event.error === undefined
            ? `  ${paint('32', `← ${event.name} returned`)} ${JSON.stringify(event.result)} (${event.durationMs} ms)`
            : `  ${paint('31', `← ${event.name} failed`)}: ${event.error}`,
        );
        return;
      case 'step-finish':
        line(
          `  ${paint('2', `step ${event.step} usage: ${usageLine(event.usage)} · finish: ${event.finishReason ?? 'unknown'}`)}`,
        );
        return;
      case 'usage-total':
        line(`\n${paint('1', 'total usage')}: ${usageLine(event)} · ${event.totalTokens} tokens`);
        return;
    }
  };

  let interrupted = false;
  const code = await new Promise<number>((resolve) => {
    const subscription = runTools(
      (history) =>
        fromOllama({
          baseUrl,
          model,
          messages: [...messages, ...toOllamaMessages(history)],
          tools: toOllamaTools(tools),
        }),
      { tools, maxSteps: 4 },
    ).subscribe({
      next: show,
      error: (error: unknown) => {
        line(paint('31', `demo: ${describeError(error)}`));
        resolve(1);
      },
      complete: () => {
        line(`\n${paint('1', 'answer')}: ${answer.trim()}`);
        resolve(answer.trim() === '' ? 1 : 0);
      },
    });
    process.once('SIGINT', () => {
      // Unsubscribing aborts the model request and the running tool.
      interrupted = true;
      subscription.unsubscribe();
      resolve(130);
    });
  });
  if (interrupted) line('interrupted: the request and the tool were aborted');
  await server?.close();
  return code;
}
