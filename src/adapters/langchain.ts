// rxllm/langchain: a LangChain chat model's stream as an rxllm source. `@langchain/core` is an
// optional peer, never imported at runtime: this entry only reads the stream it is given.
export { fromLangChain } from './fromLangChain';
export type { FromLangChainConfig, LangChainStream, LangChainStreamItem } from './fromLangChain';
