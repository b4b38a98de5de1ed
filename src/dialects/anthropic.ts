// Entry point `rxllm/dialects/anthropic`: the `anthropic` dialect alone. Importing it also registers it,
// so `rxllm/core` finds it by name too.
import { registerDialect } from '../wire/registry';
import { anthropicDialect } from '../wire/anthropic/dialect';

registerDialect(anthropicDialect);

export { anthropicDialect };
