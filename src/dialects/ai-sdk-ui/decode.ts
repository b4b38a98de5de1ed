// Entry point `rxllm/dialects/ai-sdk-ui/decode`: the `ai-sdk-ui` dialect, decode only (no encoder in
// the bundle). Importing it also registers it, so `rxllm/core`'s sources find it by name too; it
// never replaces the full dialect from `rxllm/dialects/ai-sdk-ui` when both are imported.
import { registerDialect } from '../../wire/registry';
import { aiSdkUiDecodeDialect } from '../../wire/ai-sdk-ui/aiSdkUiDecodeDialect';

registerDialect(aiSdkUiDecodeDialect);

export { aiSdkUiDecodeDialect };
