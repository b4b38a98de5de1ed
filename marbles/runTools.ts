import { z } from 'zod';
import type { RxllmEvent, StepFinishEvent, ToolResultEvent } from '../src/base/events';
import { RxllmError } from '../src/base/errors';
import type { RunToolsOptions, ToolApproval } from '../src/tools/runTools';
import { ev, type MarbleScenario } from '../src/testing';

/**
 * A tool-loop scenario draws one cold line per model call (`step0`, `step1`, …: what the step
 * factory returns for that step; spaces only align a line under the frame where it is
 * subscribed) and one cold line per tool, named after the tool: what its `execute` returns. An
 * `approve` line is a hot `approve$`, an `unsubscribe` line where the subscriber unsubscribes. `expected` is what `runTools` emits.
 */
export interface RunToolsScenario extends MarbleScenario<Omit<RunToolsOptions, 'tools' | 'approve$'>> {
  /** The tools: each one's input schema and approval need; `execute` plays its diagram line. */
  tools: Record<string, { input: z.ZodType; needsApproval?: boolean; timeoutMs?: number }>;
  /** Expected subscriptions of each tool's line. */
  toolSubscriptions?: Record<string, string | string[]>;
}

const city = z.object({ city: z.string() });

const result = (id: string, fields: Partial<ToolResultEvent>): ToolResultEvent => ({
  type: 'tool-result',
  id,
  name: fields.name ?? 'weather',
  durationMs: 0,
  ...fields,
});
const stepFinish = (step: number, fields: Partial<StepFinishEvent> = {}): StepFinishEvent => ({
  type: 'step-finish',
  step,
  ...fields,
});
const approval = (toolCallId: string, approved: boolean): ToolApproval => ({ toolCallId, approved });

const values: Record<string, RxllmEvent | unknown> = {
  s: ev.stepStart(0, { model: 'm' }),
  S: ev.stepStart(1, { model: 'm' }),
  T: { type: 'step-start', step: 1 },
  c: ev.toolCall('call_1', 'weather', { city: 'Paris' }),
  x: ev.toolCall('call_1', 'weather', { city: 5 }),
  f: ev.finish('tool-calls'),
  t: ev.text('Sunny, 21°C.'),
  e: ev.finish('stop'),
  r: { tempC: 21 },
  R: result('call_1', { result: { tempC: 21 }, durationMs: 2 }),
  F: stepFinish(0, { finishReason: 'tool-calls' }),
  G: stepFinish(1, { finishReason: 'stop' }),
};

const parallel = {
  a: ev.toolCall('call_a', 'slow', { city: 'Paris' }, 0),
  b: ev.toolCall('call_b', 'slow', { city: 'Oslo' }, 1),
  c: ev.toolCall('call_c', 'slow', { city: 'Rome' }, 2),
  A: result('call_a', { name: 'slow', result: { tempC: 21 }, durationMs: 9 }),
  B: result('call_b', { name: 'slow', result: { tempC: 21 }, durationMs: 9 }),
  C: result('call_c', { name: 'slow', result: { tempC: 21 }, durationMs: 9 }),
};

/** What a failing tool's `#` stands for. */
export const toolFailure = new Error('weather service unreachable');

/** The error `toolErrorsFail`'s `#` stands for. */
export const failedLoop = new RxllmError('tool weather (call_1): weather service unreachable', {
  code: 'tool',
});

export const scenarios: Record<string, RunToolsScenario> = {
  main: {
    description:
      'runs the tool the model calls, then calls the model again with its result, until it answers',
    diagram: {
      step0: 's-c-f|',
      step1: '       s----t-e|',
      weather: '     --(r|)',
      expected: 's-c-f--(RFS)t-e(G|)',
    },
    values,
    tools: { weather: { input: city } },
    config: {},
    toolSubscriptions: { weather: '-----^-!' },
  },
  concurrency1: {
    description: 'runs the calls of one step one after another with concurrency 1',
    diagram: {
      step0: '(sabcf|)',
      step1: '                           s 9ms (e|)',
      slow: '9ms (r|)',
      expected: '(sabcf) 2ms A 8ms B 8ms (CFS)-----(eG|)',
    },
    values: { ...values, ...parallel },
    tools: { slow: { input: city } },
    config: { concurrency: 1 },
    toolSubscriptions: { slow: ['^ 8ms !', '9ms ^ 8ms !', '18ms ^ 8ms !'] },
  },
  concurrency3: {
    description: 'runs the calls of one step at once with concurrency 3',
    diagram: {
      step0: '(sabcf|)',
      step1: '         s 9ms (e|)',
      slow: '9ms (r|)',
      expected: '(sabcf) 2ms (ABCFS)---(eG|)',
    },
    values: { ...values, ...parallel },
    tools: { slow: { input: city } },
    config: { concurrency: 3 },
    toolSubscriptions: { slow: ['^ 8ms !', '^ 8ms !', '^ 8ms !'] },
  },
  maxSteps: {
    description: 'stops after maxSteps model calls, once the last one’s tools have run',
    diagram: {
      step0: 's-c-f|',
      weather: '     --(r|)',
      expected: 's-c-f--(RF|)',
    },
    values,
    tools: { weather: { input: city } },
    config: { maxSteps: 1 },
  },
  approved: {
    description: 'runs a tool that needs approval once it is approved',
    diagram: {
      step0: 's-c-f|',
      approve: '--------y',
      step1: '          (e|)',
      weather: '        --(r|)',
      expected: 's-c-f-----(RFTeG|)',
    },
    values: { ...values, y: approval('call_1', true) },
    tools: { weather: { input: city, needsApproval: true } },
    config: {},
    toolSubscriptions: { weather: '--------^-!' },
  },
  denied: {
    description: 'sends a denial to the model instead of running the tool',
    diagram: {
      step0: 's-c-f|',
      approve: '------n-y',
      step1: '        (e|)',
      weather: '--(r|)',
      expected: 's-c-f---(DFTeG|)',
    },
    values: {
      ...values,
      n: approval('call_9', true),
      y: approval('call_1', false),
      D: result('call_1', { error: 'The user denied this tool call.', denied: true }),
    },
    tools: { weather: { input: city, needsApproval: true } },
    config: {},
    toolSubscriptions: { weather: [] },
  },
  cancelled: {
    description: 'unsubscribing mid-tool unsubscribes the tool (and aborts its signal)',
    diagram: {
      step0: 's-c-f|',
      weather: '     --(r|)',
      unsubscribe: '------!',
      expected: 's-c-f-',
    },
    values,
    tools: { weather: { input: city } },
    config: {},
    toolSubscriptions: { weather: '-----^!' },
  },
  toolErrors: {
    description: 'sends a failing tool’s error back to the model',
    diagram: {
      step0: 's-c-f|',
      step1: '       (e|)',
      weather: '     --#',
      expected: 's-c-f--(XFTeG|)',
    },
    values: { ...values, X: result('call_1', { error: 'weather service unreachable', durationMs: 2 }) },
    tools: { weather: { input: city } },
    config: {},
  },
  toolErrorsFail: {
    description: 'fails the stream on a failing tool with onToolError: fail',
    diagram: {
      step0: 's-c-f|',
      weather: '     --#',
      expected: 's-c-f--#',
    },
    values,
    error: failedLoop,
    tools: { weather: { input: city } },
    config: { onToolError: 'fail' },
  },
  invalidArguments: {
    description: 'sends invalid arguments’ issues back to the model without running the tool',
    diagram: {
      step0: 's-x-f|',
      step1: '     (e|)',
      weather: '--(r|)',
      expected: 's-x-f(VFTeG|)',
    },
    values: {
      ...values,
      V: result('call_1', {
        error: 'invalid arguments: city: Invalid input: expected string, received number',
      }),
    },
    tools: { weather: { input: city } },
    config: {},
    toolSubscriptions: { weather: [] },
  },
  timeout: {
    description: 'fails a tool that runs past toolTimeoutMs, unsubscribing it',
    diagram: {
      step0: 's-c-f|',
      step1: '        (e|)',
      weather: '     -----(r|)',
      expected: 's-c-f---(OFTeG|)',
    },
    values: { ...values, O: result('call_1', { error: 'timed out after 3 ms', durationMs: 3 }) },
    tools: { weather: { input: city } },
    config: { toolTimeoutMs: 3 },
    toolSubscriptions: { weather: '-----^--!' },
  },
};
