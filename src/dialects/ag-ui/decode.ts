// Entry point `rxllm/dialects/ag-ui/decode`: the `ag-ui` dialect, decode only (no encoder in
// the bundle). Importing it also registers it, so `rxllm/core`'s sources find it by name too; it
// never replaces the full dialect from `rxllm/dialects/ag-ui` when both are imported.
import { registerDialect } from '../../wire/registry';
import { agUiDecodeDialect } from '../../wire/ag-ui/agUiDecodeDialect';

registerDialect(agUiDecodeDialect);

export { agUiDecodeDialect };
