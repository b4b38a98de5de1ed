import { formatDiagram, type MarbleScenario } from '../../src/testing';
import { readDocDiagram } from './docDiagram';

/**
 * The specs a marbles/ scenario table gets: `main` is the diagram in `file`'s JSDoc and behaves as
 * drawn, and every other scenario behaves as drawn, one test each, named by its description.
 * Call it inside the operator's `describe`; `run` plays one scenario in virtual time.
 */
export function specifyScenarios<S extends MarbleScenario<unknown>>(
  file: string,
  scenarios: Record<string, S>,
  run: (scenario: S) => void,
): void {
  it('shows the main scenario in its JSDoc and behaves as drawn', () => {
    expect(readDocDiagram(file)).toBe(formatDiagram(scenarios.main!.diagram));
    run(scenarios.main!);
  });

  describe.each(Object.entries(scenarios).filter(([name]) => name !== 'main'))(
    'scenario %s',
    (_name, scenario) => {
      it(scenario.description, () => run(scenario));
    },
  );
}
