// Entry point `rxllm/dialects/anthropic/decode`: the `anthropic` dialect, decode only (no encoder in
// the bundle). Importing it also registers it, so `rxllm/core`'s sources find it by name too; it
// never replaces the full dialect from `rxllm/dialects/anthropic` when both are imported.
import { registerDialect } from '../../wire/registry';
import { anthropicDecodeDialect } from '../../wire/anthropic/anthropicDecodeDialect';

registerDialect(anthropicDecodeDialect);

export { anthropicDecodeDialect };
