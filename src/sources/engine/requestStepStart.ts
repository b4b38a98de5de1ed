import type { StepStartEvent } from '../../base/events';

/**
 * The `step-start` an SDK source or `fromOllama` emits at subscribe, before its request is made:
 * what it knows of the request (the model asked for), so that a stream cancelled before its
 * response can still be priced. Here rather than in the engine, so that `fromSSE`, whose input may
 * carry its own steps, bundles none of it.
 */
export function requestStepStart(model: string | undefined, provider: string | undefined): StepStartEvent {
  const event: StepStartEvent = { type: 'step-start', step: 0 };
  if (model !== undefined) event.model = model;
  if (provider !== undefined) event.provider = provider;
  return event;
}
