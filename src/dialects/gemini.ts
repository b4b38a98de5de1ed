// Entry point `rxllm/dialects/gemini`: the `gemini` dialect alone. Importing it also registers it,
// so `rxllm/core` finds it by name too.
import { registerDialect } from '../wire/registry';
import { geminiDialect } from '../wire/gemini/dialect';

registerDialect(geminiDialect);

export { geminiDialect };
