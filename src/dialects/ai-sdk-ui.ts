// Entry point `rxllm/dialects/ai-sdk-ui`: the `ai-sdk-ui` dialect alone. Importing it also registers it,
// so `rxllm/core` finds it by name too.
import { registerDialect } from '../wire/registry';
import { aiSdkUiDialect } from '../wire/ai-sdk-ui/dialect';

registerDialect(aiSdkUiDialect);

export { aiSdkUiDialect };
