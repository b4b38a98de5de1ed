// rxllm/core: the light entry, and the one list of rxllm's exports (src/index.ts is this file plus
// the built-in dialect table). Nothing that makes a bundle heavy: no dialect is included unless
// imported (from `rxllm/dialects/<name>`) and passed to a source or `toSSE`, and names resolve only
// to imported or registered dialects. A new public name is added here; test/coreExports.test.ts
// checks what `rxllm` adds and overrides.

// Events, messages and errors
export type {
  UsageTotalEvent,
  StepStartEvent,
  StepFinishEvent,
  MetaEvent,
  ContentEvent,
  ChoiceMeta,
  ComparisonEvent,
  ErrorEvent,
  EventMeta,
  FinishEvent,
  FinishReason,
  ProgressEvent,
  ReasoningEvent,
  RefusalEvent,
  ResetEvent,
  RxllmEvent,
  RxllmEventType,
  StartEvent,
  TextEvent,
  ToolCallDeltaEvent,
  ToolCallEvent,
  ToolCallStartEvent,
  TrackComparison,
  Usage,
  UsageEvent,
} from './base/events';
export { isEventType, isMetaEvent } from './base/events';
export { RxllmError } from './base/errors';
export type { RxllmErrorCode, RxllmErrorOptions } from './base/errors';
export { defaultLimits } from './base/limits';
export type { StreamLimits } from './base/limits';
export { MessageAccumulator } from './base/message';
export type { ChoiceMessage, Message, ToolCall } from './base/message';

// Wire formats
export type {
  Decoder,
  DecoderOptions,
  DecodeDialect,
  Dialect,
  DialectName,
  EmitEvent,
  Encoder,
  EncoderOptions,
  Framing,
  SSEFrame,
  WriteFrame,
} from './wire/types';
export { registerDialect, registeredDialectNames } from './wire/registry';
export type { DialectInput } from './wire/registry';
export { sseHeaders } from './wire/sseHeaders';

// Sources
export { fromSSE } from './core/fromSSE';
export { reconnectSSE } from './sources/reconnectSSE';
export type { ReconnectSSEConfig, SSEReconnect } from './sources/reconnectSSE';
export type { ByteStream, FromSSEConfig, StreamInput, StreamResume } from './sources/fromSSE';
export { fromEventSource } from './core/fromEventSource';
export type { FromEventSourceConfig } from './sources/fromEventSource';
export { fromNDJSON } from './core/fromNDJSON';
export type { FromNDJSONConfig } from './sources/fromNDJSON';
export { fromOpenAI } from './sources/fromOpenAI';
export type {
  FromOpenAIConfig,
  FromOpenAIParams,
  OpenAIChatClient,
  OpenAIRequestOptions,
} from './sources/fromOpenAI';
export { fromOpenAIResponses } from './sources/fromOpenAIResponses';
export type {
  FromOpenAIResponsesConfig,
  FromOpenAIResponsesParams,
  OpenAIResponsesClient,
} from './sources/fromOpenAIResponses';
export { fromAnthropic } from './sources/fromAnthropic';
export type {
  AnthropicMessagesClient,
  FromAnthropicConfig,
  FromAnthropicParams,
} from './sources/fromAnthropic';
export { fromOllama } from './sources/fromOllama';
export type { FromOllamaConfig, OllamaMessage } from './sources/fromOllama';
export { fromTokens } from './sources/fromTokens';
export type { FromTokensConfig } from './sources/fromTokens';

// Operators
export { markFlow } from './flow/flow';
export type { FlowGate, FlowMark } from './flow/flow';
export { bufferTokens } from './operators/bufferTokens';
export type { BufferTokensConfig, TokenBoundary } from './operators/bufferTokens';
export { pausable } from './operators/pausable';
export type { PausableConfig, PausePolicy } from './operators/pausable';
export { throttleTokens } from './operators/throttleTokens';
export type { ThrottleChunking, ThrottleTokensConfig } from './operators/throttleTokens';
export { toSSE } from './core/toSSE';
export type { ToSSEConfig } from './operators/toSSE';
export { aggregateUsage } from './operators/aggregateUsage';
export type { AggregateUsageConfig, UsagePricer, UsageReport } from './operators/aggregateUsage';
export { progress } from './operators/progress';
export type { ProgressConfig } from './operators/progress';
export { deadline } from './operators/deadline';
export type { DeadlineConfig } from './operators/deadline';
export { retryStream } from './operators/retryStream';
export type { RetryInfo, RetryStreamConfig } from './operators/retryStream';
export { structuredOutput } from './operators/structuredOutput';
export type {
  DeepPartial,
  StructuredOutput,
  StructuredOutputConfig,
  StructuredOutputSchema,
} from './operators/structuredOutput';

// Pricing (aggregateUsage's price table and token estimator)
export { defaultPriceTable } from './pricing/defaultPriceTable';
export type { ModelPrice, PriceTable, PriceTier } from './pricing/priceTable';
export { findPrice } from './pricing/findPrice';
export { loadTokenEstimator } from './pricing/loadTokenEstimator';
export { approximateTokens } from './pricing/approximateTokens';
export type { TokenEstimator } from './pricing/loadTokenEstimator';

// Dual-track
export { mergeTracks } from './tracks/mergeTracks';
export type { MergeStrategy, MergeTracksConfig, TrackSource } from './tracks/mergeTracks';
export { createTrackLimiter } from './tracks/createTrackLimiter';
export type { TrackLimiter } from './tracks/createTrackLimiter';
export { wordCosineSimilarity } from './tracks/wordCosineSimilarity';

// Sinks
export { collect } from './sinks/collect';
export { subscribeWithHandlers } from './sinks/subscribeWithHandlers';
export type {
  StreamController,
  StreamHandlers,
  StreamMetadata,
  StreamStats,
  StreamStatus,
  SubscribeWithHandlersConfig,
} from './sinks/subscribeWithHandlers';
export { toResponse } from './sinks/toResponse';
export type { ToResponseConfig } from './sinks/toResponse';
export { pipeToNodeResponse } from './sinks/pipeToNodeResponse';
export type {
  NodeServerResponse,
  PipeToNodeResponseConfig,
  PipeToNodeResponseResult,
} from './sinks/pipeToNodeResponse';
export { toReadableStream } from './sinks/toReadableStream';
export type { ToReadableStreamConfig } from './sinks/toReadableStream';
export { toAsyncIterable } from './sinks/toAsyncIterable';
export type { ToAsyncIterableConfig } from './sinks/toAsyncIterable';
export { messageReducer } from './sinks/messageReducer';
export type {
  ChoiceState,
  MessageAction,
  MessageState,
  MessageStatus,
  StreamCancelAction,
  StreamCompleteAction,
  StreamErrorAction,
  StepState,
  ToolCallState,
  TrackState,
} from './sinks/messageReducer';
export { createMessageStore } from './sinks/createMessageStore';
export type { CreateMessageStoreConfig, MessageStore } from './sinks/createMessageStore';
export { toStore } from './sinks/toStore';

// Tool loops
export type { ToolResultEvent } from './base/events';
export { defineTool } from './tools/defineTool';
export type {
  StandardSchema,
  StandardSchemaResult,
  Tool,
  ToolContext,
  ToolDefinition,
} from './tools/defineTool';
export { runTools } from './tools/runTools';
export type {
  ReasoningPart,
  RunToolsOptions,
  StepContext,
  StepFactory,
  ToolApproval,
  ToolLoopStep,
} from './tools/runTools';
export { toOpenAIChatMessages } from './tools/toOpenAIChatMessages';
export type { OpenAIChatLoopMessage } from './tools/toOpenAIChatMessages';
export { toAnthropicMessages } from './tools/toAnthropicMessages';
export type { AnthropicLoopBlock, AnthropicLoopMessage } from './tools/toAnthropicMessages';
export { toOllamaMessages } from './tools/toOllamaMessages';
export { toOpenAIChatTools } from './tools/toOpenAIChatTools';
export { toAnthropicTools } from './tools/toAnthropicTools';
export { toOpenAIResponsesInput } from './tools/toOpenAIResponsesInput';
export type { OpenAIResponsesLoopItem } from './tools/toOpenAIResponsesInput';
export { toOpenAIResponsesContinuation } from './tools/toOpenAIResponsesContinuation';
export { toOpenAIResponsesTools } from './tools/toOpenAIResponsesTools';
export { toGeminiContents } from './tools/toGeminiContents';
export type { GeminiLoopContent, GeminiLoopPart } from './tools/toGeminiContents';
export { toGeminiTools } from './tools/toGeminiTools';
export { toOllamaTools } from './tools/toOllamaTools';
export { openAIChatSteps } from './tools/openAIChatSteps';
export { anthropicSteps } from './tools/anthropicSteps';
export { openAIResponsesSteps } from './tools/openAIResponsesSteps';
export type { OpenAIResponsesStepsConfig } from './tools/openAIResponsesSteps';

// Resumable streams: a log of the stream that readers on any process attach to (see README).
export { recordStream } from './log/recordStream';
export type { RecordStreamConfig } from './log/recordStream';
export { persistStream } from './log/persistStream';
export { fromStreamLog, fromStreamLogEntries } from './log/fromStreamLog';
export type { FromStreamLogConfig, StreamLogEntry } from './log/fromStreamLog';
export { createMemoryStreamLog } from './log/createMemoryStreamLog';
export { createRedisStreamLog } from './log/createRedisStreamLog';
export type { RedisClientLike, RedisStreamLog, RedisStreamLogConfig } from './log/createRedisStreamLog';
export type {
  StreamLogCommit,
  StreamLogEnd,
  StreamLogRead,
  StreamLogReader,
  StreamLogStore,
} from './log/StreamLogStore';
export { durableStreamHandler } from './log/durableStreamHandler';
export type { DurableStreamHandler, DurableStreamHandlerConfig } from './log/durableStreamHandler';
export { durableStreamNodeHandler } from './log/durableStreamNodeHandler';
export type { NodeIncomingLike, NodeOutgoingLike } from './log/durableStreamNodeHandler';
export { createDurableStreamLog } from './log/createDurableStreamLog';
export type {
  DurableStreamHandleLike,
  DurableStreamLogConfig,
  DurableStreamsClientLike,
} from './log/createDurableStreamLog';
// streamLogToSSE and serveStreamLog write any dialect by name, so they are rxllm's only.
export type { StreamLogToSSEConfig } from './log/streamLogToSSE';
export type { NodeRequestLike, ServeStreamLogConfig } from './log/serveStreamLog';
