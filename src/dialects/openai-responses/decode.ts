// Entry point `rxllm/dialects/openai-responses/decode`: the `openai-responses` dialect, decode only (no encoder in
// the bundle). Importing it also registers it, so `rxllm/core`'s sources find it by name too; it
// never replaces the full dialect from `rxllm/dialects/openai-responses` when both are imported.
import { registerDialect } from '../../wire/registry';
import { openAIResponsesDecodeDialect } from '../../wire/openai-responses/openAIResponsesDecodeDialect';

registerDialect(openAIResponsesDecodeDialect);

export { openAIResponsesDecodeDialect };
