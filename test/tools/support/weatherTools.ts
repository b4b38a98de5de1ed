import { createReplayServer } from '../../../src/testing/createReplayServer';
import type { Tool } from '../../../src/tools/defineTool';
import { tools as exampleTools } from '../../../examples/agent/rxllmAgent';
import { fixtureBytes } from '../../support/decodeFixture';

// The weather agent of issue 10, shared by the tool-loop tests: examples/agent/rxllmAgent.ts's
// own two tools (get_weather answers; get_forecast never does and its 20 ms timeout cancels it),
// and what the recorded exchanges ask and answer.

/**
 * The example's tools, with each abort signal get_forecast is given recorded: the tests check
 * that its timeout aborts it. A call's signals are pushed to `forecastSignals`.
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
/** The three calls' outcomes: Paris's weather, the invalid `{ town }` call, the timed-out forecast. */
export const paris = { city: 'Paris', tempC: 21, sky: 'sunny' };
export const invalid = 'invalid arguments: city: Invalid input: expected string, received undefined';
export const timedOut = 'timed out after 20 ms';

/** A replay server that answers `route`'s requests with the fixtures, one a step, in order. */
export const replaySteps = (route: string, ...fixtures: string[]) =>
  createReplayServer({
    routes: { [route]: fixtures.map((fixture) => ({ transcript: fixtureBytes(fixture) })) },
  });
