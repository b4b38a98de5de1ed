// Entry point `rxllm/dialects/rxllm`: the `rxllm` dialect alone. Importing it also registers it,
// so `rxllm/core` finds it by name too.
import { registerDialect } from '../wire/registry';
import { rxllmDialect } from '../wire/rxllm/dialect';

registerDialect(rxllmDialect);

export { rxllmDialect };
