// rxllm/ai-sdk: an AI SDK streamText result as an rxllm source. The `ai` package is an optional
// peer, never imported at runtime: this entry only reads the stream it is given.
export { fromAISDK } from './fromAISDK';
export type { AISDKStream, AISDKStreamPart, FromAISDKConfig } from './fromAISDK';
