import Anthropic from '@anthropic-ai/sdk';
import { z } from 'zod';
import { collect } from '../../src/sinks/collect';
import { fromAnthropic } from '../../src/sources/fromAnthropic';
import { defineTool } from '../../src/tools/defineTool';
import { runTools } from '../../src/tools/runTools';
import { toAnthropicMessages } from '../../src/tools/toAnthropicMessages';
import { replaySteps } from '../support/replaySteps';

// A real two-request tool loop recorded against Anthropic (pydantic-ai's cassette
// test_anthropic_text_editor_toolset_stream.yaml; test/fixtures/README.md): claude-sonnet-4-6 calls
// its text editor tool, the client sends the result, the model answers. The request bodies below
// are the cassette's own: what Anthropic accepted and answered. rxllm's loop must send the same.
const recordedRequest = (messages: unknown[]) => ({
  max_tokens: 4096,
  messages,
  model: 'claude-sonnet-4-6',
  stream: true,
  system: 'Always use the text editor tool. Keep responses brief.',
  tool_choice: { type: 'auto' },
  tools: [{ name: 'str_replace_based_edit_tool', type: 'text_editor_20250728' }],
});
const question = { role: 'user', content: [{ text: 'View the file /tmp/example.py', type: 'text' }] };
const recordedSecond = [
  question,
  {
    content: [
      {
        id: 'toolu_015czvgRAN7XL7DZXTBbSXiP',
        input: { command: 'view', path: '/tmp/example.py' },
        name: 'str_replace_based_edit_tool',
        type: 'tool_use',
      },
    ],
    role: 'assistant',
  },
  {
    content: [
      {
        content: 'print("hello world")\n',
        tool_use_id: 'toolu_015czvgRAN7XL7DZXTBbSXiP',
        type: 'tool_result',
      },
    ],
    role: 'user',
  },
];

it('a recorded Anthropic tool loop: rxllm sends the second request the recording sent, and reaches its answer', async () => {
  const server = await replaySteps(
    '/v1/messages',
    'anthropic/recorded-tool-loop-step0.sse',
    'anthropic/recorded-tool-loop-step1.sse',
  );
  try {
    const viewed: unknown[] = [];
    // Anthropic defines this tool's schema (a `text_editor_20250728` tool): rxllm runs it.
    const editor = defineTool({
      name: 'str_replace_based_edit_tool',
      input: z.object({ command: z.literal('view'), path: z.string() }),
      execute: (args) => {
        viewed.push(args);
        return 'print("hello world")\n';
      },
    });
    const client = new Anthropic({ apiKey: 'test', baseURL: server.anthropicBaseURL, maxRetries: 0 });
    const message = await collect(
      runTools(
        (history) =>
          fromAnthropic(client, {
            ...(recordedRequest([
              question,
              ...toAnthropicMessages(history),
            ]) as Anthropic.MessageCreateParams),
          }),
        { tools: [editor] },
      ),
    );
    expect(viewed).toEqual([{ command: 'view', path: '/tmp/example.py' }]);
    expect(message.text).toBe(
      'The file `/tmp/example.py` contains a single line of Python code:\n\n```python\nprint("hello world")\n```\n\nIt\'s a simple script that prints **"hello world"** to the console.',
    );
    expect(message.steps?.map((step) => step.usage)).toEqual([
      expect.objectContaining({ inputTokens: 1270, outputTokens: 82 }),
      expect.objectContaining({ inputTokens: 1391, outputTokens: 49 }),
    ]);
    expect(server.requests.map((request) => request.json)).toEqual([
      recordedRequest([question]),
      recordedRequest(recordedSecond),
    ]);
  } finally {
    await server.close();
  }
});
