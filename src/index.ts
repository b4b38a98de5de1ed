// rxllm: RxJS sources, operators and sinks for LLM token streams.
// Everything of `rxllm/core` (src/core.ts holds the one list of public names), plus the built-in
// dialect table: the functions below take a dialect by any built-in name, and each dialect object
// is exported. A bundle of `rxllm` therefore holds every dialect; `rxllm/core` holds the ones it imports.
export * from './core';

// These four override core's: they resolve dialect names in the built-in table.
export { fromSSE } from './sources/fromSSE';
export { fromNDJSON } from './sources/fromNDJSON';
export { fromEventSource } from './sources/fromEventSource';
export { toSSE } from './operators/toSSE';

// The table, and each built-in dialect (also `rxllm/dialects/<name>` alone).
export { dialects, getDialect } from './wire/dialects';
export { agUiDialect } from './wire/ag-ui/dialect';
export { aiSdkUiDialect } from './wire/ai-sdk-ui/dialect';
export { anthropicDialect } from './wire/anthropic/dialect';
export { geminiDialect } from './wire/gemini/dialect';
export { ollamaDialect } from './wire/ollama/dialect';
export { openAIChatDialect } from './wire/openai-chat/dialect';
export { openAIResponsesDialect } from './wire/openai-responses/dialect';
export { rxllmDialect } from './wire/rxllm/dialect';

// The stream log's SSE helpers encode through the table's toSSE (any dialect by name).
export { streamLogToSSE } from './log/streamLogToSSE';
export { resumeAfter, serveStreamLog } from './log/serveStreamLog';
