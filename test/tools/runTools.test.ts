import { type Observable } from 'rxjs';
import type { RxllmEvent } from '../../src/base/events';
import { defineTool } from '../../src/tools/defineTool';
import { runTools, type ToolApproval } from '../../src/tools/runTools';
import { formatDiagram, marbles } from '../../src/testing';
import { scenarios, toolFailure, type RunToolsScenario } from '../../marbles/runTools';
import { readDocDiagram } from '../support/docDiagram';

function run(scenario: RunToolsScenario): void {
  marbles(({ cold, hot, expectObservable, expectSubscriptions }) => {
    const { diagram } = scenario;
    const values = scenario.values as Record<string, RxllmEvent>;
    const toolLines = Object.fromEntries(
      Object.keys(scenario.tools).map((name) => [name, cold(diagram[name]!, values, toolFailure)]),
    );
    const tools = Object.entries(scenario.tools).map(([name, spec]) =>
      defineTool({ name, ...spec, execute: () => toolLines[name]! as Observable<unknown> }),
    );
    const approve$ =
      diagram.approve === undefined
        ? undefined
        : hot<ToolApproval>(diagram.approve, scenario.values as Record<string, ToolApproval>);
    const loop$ = runTools(
      (_history, { step }) => {
        const line = diagram[`step${step}`];
        if (line === undefined) throw new Error(`the scenario draws no step${step}`);
        return cold(line, values);
      },
      { ...scenario.config, tools, ...(approve$ ? { approve$ } : {}) },
    );
    expectObservable(loop$, diagram.unsubscribe).toBe(diagram.expected!, values, scenario.error);
    for (const [name, subscriptions] of Object.entries(scenario.toolSubscriptions ?? {}))
      expectSubscriptions(toolLines[name]!.subscriptions).toBe(subscriptions);
  });
}

describe('runTools', () => {
  it('runs the main scenario, the one its JSDoc draws', () => {
    expect(readDocDiagram('src/tools/runTools.ts')).toBe(formatDiagram(scenarios.main!.diagram));
    run(scenarios.main!);
  });

  for (const [name, scenario] of Object.entries(scenarios)) {
    if (name === 'main') continue;
    it(`${name}: ${scenario.description}`, () => run(scenario));
  }
});
