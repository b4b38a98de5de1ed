// The same weather agent with the Vercel AI SDK: streamText with tools and a step limit.
import { createOpenAI } from '@ai-sdk/openai';
import { stepCountIs, streamText, tool } from 'ai';
import { z } from 'zod';

const tools = {
  get_weather: tool({
    description: 'Current weather in a city',
    inputSchema: z.object({ city: z.string() }),
    execute: async ({ city }) => ({ city, tempC: 21, sky: 'sunny' }),
  }),
  get_forecast: tool({
    description: 'Tomorrow’s forecast for a city',
    inputSchema: z.object({ city: z.string() }),
    // The AI SDK has no tool timeout: a forecast service that never answers, raced by hand.
    execute: (_args, { abortSignal }) =>
      new Promise((_resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('timed out after 20 ms')), 20);
        abortSignal?.addEventListener('abort', () => clearTimeout(timer));
      }),
  }),
};

export async function weatherAgent(baseURL: string, question: string) {
  const openai = createOpenAI({ apiKey: 'test', baseURL });
  const result = streamText({
    model: openai.chat('gpt-4o'),
    messages: [{ role: 'user', content: question }],
    tools,
    stopWhen: stepCountIs(5),
  });
  return { text: await result.text, totalUsage: await result.totalUsage };
}
