// Entry point `rxllm/dialects/openai-responses`: the `openai-responses` dialect alone. Importing it also registers it,
// so `rxllm/core` finds it by name too.
import { registerDialect } from '../wire/registry';
import { openAIResponsesDialect } from '../wire/openai-responses/dialect';

registerDialect(openAIResponsesDialect);

export { openAIResponsesDialect };
