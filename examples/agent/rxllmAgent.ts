// The weather agent of issue 10 with rxllm: two tools, a loop of at most 5 model calls.
import OpenAI from 'openai';
import { NEVER } from 'rxjs';
import { z } from 'zod';
// In your app: from 'rxllm'.
import { collect, defineTool, openAIChatSteps, runTools } from '../../src/index';

export const tools = [
  defineTool({
    name: 'get_weather',
    description: 'Current weather in a city',
    input: z.object({ city: z.string() }),
    execute: async ({ city }) => ({ city, tempC: 21, sky: 'sunny' }),
  }),
  defineTool({
    name: 'get_forecast',
    description: 'Tomorrow’s forecast for a city',
    input: z.object({ city: z.string() }),
    timeoutMs: 20,
    execute: () => NEVER, // a forecast service that never answers
  }),
];

export async function weatherAgent(baseURL: string, question: string) {
  const client = new OpenAI({ apiKey: 'test', baseURL });
  const request = { model: 'gpt-4o', messages: [{ role: 'user' as const, content: question }] };
  const { text, usage } = await collect(runTools(openAIChatSteps(client, request), { tools, maxSteps: 5 }));
  return { text, totalUsage: usage };
}
