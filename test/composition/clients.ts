import Anthropic from '@anthropic-ai/sdk';
import { AbstractChat, DefaultChatTransport, type ChatState, type ChatStatus, type UIMessage } from 'ai';
import OpenAI from 'openai';
import { createMessageStore } from '../../src/sinks/createMessageStore';
import { fromSSE } from '../../src/sources/fromSSE';
import { fixtureBytes } from '../support/decodeFixture';

/** A recorded SSE transcript cut into its events, each with its blank line. */
export function sseEvents(fixture: string): string[] {
  const text = new TextDecoder().decode(fixtureBytes(fixture));
  return text
    .split(/\n\n/)
    .filter((event) => event.trim() !== '')
    .map((event) => `${event}\n\n`);
}

/** What a client shows after reading a whole response: all its text in order, and its error. */
export interface Shown {
  text: string;
  error?: unknown;
}

const messages = [{ role: 'user' as const, content: 'What is the weather in San Francisco?' }];

/** The official `openai` client, streaming Chat Completions: every `delta.content`, in order. */
export async function readWithOpenAI(baseURL: string, model: string): Promise<Shown> {
  const client = new OpenAI({ apiKey: 'test', baseURL, maxRetries: 0 });
  let text = '';
  try {
    const stream = await client.chat.completions.create({ model, messages, stream: true });
    for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
    return { text };
  } catch (error) {
    return { text, error };
  }
}

/** The official `@anthropic-ai/sdk` client, `messages.stream()`: every text delta, in order. */
export async function readWithAnthropic(baseURL: string, model: string): Promise<Shown> {
  const client = new Anthropic({ apiKey: 'test', baseURL, maxRetries: 0 });
  let text = '';
  try {
    const stream = client.messages.stream({ model, max_tokens: 100, messages });
    for await (const event of stream) {
      if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') text += event.delta.text;
    }
    return { text };
  } catch (error) {
    return { text, error };
  }
}

/**
 * A state holder that behaves as `@ai-sdk/react`'s: messages replaced by snapshots (structured
 * clones), pushed as given. The AI SDK's `AbstractChat` (the engine of `useChat`) drives it.
 */
class ListChatState implements ChatState<UIMessage> {
  status: ChatStatus = 'ready';
  error: Error | undefined = undefined;
  messages: UIMessage[] = [];
  pushMessage = (message: UIMessage) => {
    this.messages = this.messages.concat(message);
  };
  popMessage = () => {
    this.messages = this.messages.slice(0, -1);
  };
  replaceMessage = (index: number, message: UIMessage) => {
    this.messages = [
      ...this.messages.slice(0, index),
      this.snapshot(message),
      ...this.messages.slice(index + 1),
    ];
  };
  snapshot = <T>(thing: T): T => structuredClone(thing);
}

class Chat extends AbstractChat<UIMessage> {
  readonly chatState: ListChatState;
  constructor(api: string, model: string) {
    const state = new ListChatState();
    super({ transport: new DefaultChatTransport({ api, body: { model } }), state });
    this.chatState = state;
  }
}

/**
 * The AI SDK's own chat client (`AbstractChat`, what `useChat` runs, with `DefaultChatTransport`):
 * every text part of every assistant message it ends up holding, in order, and its error.
 */
export async function readWithAIChat(url: string, model: string): Promise<Shown & { parts: number }> {
  const chat = new Chat(`${url}/api/chat`, model);
  await chat.sendMessage({ text: 'What is the weather in San Francisco?' });
  const textParts = chat.messages
    .filter((message) => message.role === 'assistant')
    .flatMap((message) => message.parts)
    .filter((part): part is { type: 'text'; text: string } => part.type === 'text');
  return {
    text: textParts.map((part) => part.text).join(''),
    parts: textParts.length,
    ...(chat.error !== undefined && { error: chat.error }),
  };
}

/**
 * rxllm's own client: the `rxllm` dialect read by `fromSSE` into a `createMessageStore`; the text
 * of every track, in the order the tracks appeared.
 */
export async function readWithStore(url: string, model: string): Promise<Shown> {
  const store = createMessageStore();
  const events$ = fromSSE(
    (signal) => fetch(`${url}/rxllm`, { method: 'POST', body: JSON.stringify({ model }), signal }),
    { dialect: 'rxllm' },
  );
  await new Promise<void>((resolve) => {
    store.subscribe((state) => {
      if (state.status === 'done' || state.status === 'error') resolve();
    });
    store.connect(events$);
  });
  const state = store.getSnapshot();
  // A fallback's continuation is a track of its own: a UI shows the tracks in the order they came.
  const text = Object.values(state.tracks)
    .map((track) => track.text)
    .join('');
  return { text, ...(state.error && { error: state.error }) };
}
