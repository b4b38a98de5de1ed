// Entry point `rxllm/dialects/rxllm/decode`: the `rxllm` dialect, decode only (no encoder in
// the bundle). Importing it also registers it, so `rxllm/core`'s sources find it by name too; it
// never replaces the full dialect from `rxllm/dialects/rxllm` when both are imported.
import { registerDialect } from '../../wire/registry';
import { rxllmDecodeDialect } from '../../wire/rxllm/rxllmDecodeDialect';

registerDialect(rxllmDecodeDialect);

export { rxllmDecodeDialect };
