// rxllm/bedrock: Amazon Bedrock sources. Kept apart from the main entry so that the AWS event
// stream codec (@smithy/core) is loaded only by those who stream from Bedrock.
export { fromBedrock } from './fromBedrock';
export type { BedrockClient, BedrockStreamCommand, FromBedrockConfig } from './fromBedrock';
export { fromBedrockEventStream } from './fromBedrockEventStream';
export type { FromBedrockEventStreamConfig } from './fromBedrockEventStream';
