import type { Dialect } from '../types';
import { createBedrockAnthropicDecoder } from './anthropicDecoder';
import { createBedrockConverseDecoder } from './converseDecoder';

// Bedrock's messages are JSON payloads of AWS's binary event stream; the framing (and the
// @smithy/core codec it needs) lives in rxllm/bedrock, so these objects cost nothing to others.

/** Amazon Bedrock `ConverseStream` (read with `rxllm/bedrock`). */
export const bedrockConverseDialect: Dialect = {
  name: 'bedrock-converse',
  framing: 'eventstream',
  createDecoder: createBedrockConverseDecoder,
};

/** Bedrock `InvokeModelWithResponseStream` for Anthropic models (read with `rxllm/bedrock`). */
export const bedrockAnthropicDialect: Dialect = {
  name: 'bedrock-anthropic',
  framing: 'eventstream',
  createDecoder: createBedrockAnthropicDecoder,
};
