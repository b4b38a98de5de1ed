import type { Tool } from '../../../src/tools/defineTool';
import { tools as exampleTools } from '../../../examples/agent/rxllmAgent';

// The weather agent of issue 10, shared by the tool-loop tests: examples/agent/rxllmAgent.ts's
// own two tools (get_weather answers; get_forecast never does and its 20 ms timeout cancels it),
// and what the recorded exchanges ask and answer.

/**
 * The example's tools; each get_forecast call's abort signal is pushed to `forecastSignals`, for
 * the tests to check that its timeout aborts it.
 */
export function weatherTools(): { tools: Tool[]; forecastSignals: AbortSignal[] } {
  const forecastSignals: AbortSignal[] = [];
  const tools = exampleTools.map((tool): Tool =>
    tool.name === 'get_forecast'
      ? {
          ...tool,
          execute: (args, context) => {
            forecastSignals.push(context.signal);
            return tool.execute(args, context);
          },
        }
      : tool,
  );
  return { tools, forecastSignals };
}

/** The JSON Schema both tools' `{ city: string }` input is sent as. */
export const cityParameters = {
  type: 'object',
  properties: { city: { type: 'string' } },
  required: ['city'],
};

/** The recorded exchanges' question and final answer (every provider's recording answers alike). */
export const question = 'Weather in Paris and Oslo, and the forecast?';
export const answer = "It's 21°C and sunny in Paris. I couldn't look up Oslo or the forecast.";
