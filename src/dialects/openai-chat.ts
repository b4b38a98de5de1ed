// Entry point `rxllm/dialects/openai-chat`: the `openai-chat` dialect alone. Importing it also registers it,
// so `rxllm/core` finds it by name too.
import { registerDialect } from '../wire/registry';
import { openAIChatDialect } from '../wire/openai-chat/dialect';

registerDialect(openAIChatDialect);

export { openAIChatDialect };
