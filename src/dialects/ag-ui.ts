// Entry point `rxllm/dialects/ag-ui`: the `ag-ui` dialect alone. Importing it also registers it,
// so `rxllm/core` finds it by name too.
import { registerDialect } from '../wire/registry';
import { agUiDialect } from '../wire/ag-ui/dialect';

registerDialect(agUiDialect);

export { agUiDialect };
