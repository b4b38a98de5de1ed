// Entry point `rxllm/dialects/openai-chat/decode`: the `openai-chat` dialect, decode only (no encoder in
// the bundle). Importing it also registers it, so `rxllm/core`'s sources find it by name too; it
// never replaces the full dialect from `rxllm/dialects/openai-chat` when both are imported.
import { registerDialect } from '../../wire/registry';
import { openAIChatDecodeDialect } from '../../wire/openai-chat/openAIChatDecodeDialect';

registerDialect(openAIChatDecodeDialect);

export { openAIChatDecodeDialect };
