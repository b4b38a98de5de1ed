import { createReplayServer } from '../../src/testing/createReplayServer';
import { fixtureBytes } from './decodeFixture';

/**
 * A replay server for a tool loop: it answers `route`'s requests with the recorded fixtures, one a
 * step, in order (and records each request, for the tests to check what the loop sent).
 */
export const replaySteps = (route: string, ...fixtures: string[]) =>
  createReplayServer({
    routes: { [route]: fixtures.map((fixture) => ({ transcript: fixtureBytes(fixture) })) },
  });
