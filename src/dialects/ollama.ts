// Entry point `rxllm/dialects/ollama`: the `ollama` dialect alone. Importing it also registers it,
// so `rxllm/core` finds it by name too.
import { registerDialect } from '../wire/registry';
import { ollamaDialect } from '../wire/ollama/dialect';

registerDialect(ollamaDialect);

export { ollamaDialect };
