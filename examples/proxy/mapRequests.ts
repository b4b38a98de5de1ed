// Request bodies between the two APIs: what both have in common (messages, system prompt,
// max tokens, sampling, stop sequences, tools and tool choice, tool calls and their results).
// Features only one side has (images, audio, logprobs, n > 1, cache control) are left out.

/* eslint-disable @typescript-eslint/no-explicit-any -- request bodies are untyped JSON from clients */

type Json = Record<string, any>;

/** An OpenAI Chat Completions request as the Anthropic Messages request that answers it. */
export function anthropicRequestFromOpenAI(body: Json, defaultMaxTokens = 4096): Json {
  const system: string[] = [];
  const messages: Json[] = [];
  // Anthropic wants user and assistant turns to alternate: consecutive same-role blocks merge.
  const push = (role: 'user' | 'assistant', blocks: Json[]) => {
    if (blocks.length === 0) return;
    const last = messages.at(-1);
    if (last?.role === role) last.content.push(...blocks);
    else messages.push({ role, content: blocks });
  };
  for (const message of body.messages ?? []) {
    switch (message.role) {
      case 'system':
      case 'developer':
        system.push(textOf(message.content));
        break;
      case 'user':
        push('user', textBlocks(message.content));
        break;
      case 'assistant':
        push('assistant', [
          ...textBlocks(message.content),
          ...(message.tool_calls ?? []).map((call: Json) => ({
            type: 'tool_use',
            id: call.id,
            name: call.function.name,
            input: parseArguments(call.function.arguments),
          })),
        ]);
        break;
      case 'tool':
        push('user', [
          { type: 'tool_result', tool_use_id: message.tool_call_id, content: textOf(message.content) },
        ]);
        break;
    }
  }
  const request: Json = {
    model: body.model,
    max_tokens: body.max_completion_tokens ?? body.max_tokens ?? defaultMaxTokens,
    messages,
    stream: true,
  };
  if (system.length > 0) request.system = system.join('\n\n');
  if (body.temperature !== undefined && body.temperature !== null) request.temperature = body.temperature;
  if (body.top_p !== undefined && body.top_p !== null) request.top_p = body.top_p;
  if (body.stop !== undefined && body.stop !== null)
    request.stop_sequences = Array.isArray(body.stop) ? body.stop : [body.stop];
  if (Array.isArray(body.tools) && body.tools.length > 0) {
    request.tools = body.tools.map((tool: Json) => ({
      name: tool.function.name,
      ...(tool.function.description !== undefined && { description: tool.function.description }),
      input_schema: tool.function.parameters ?? { type: 'object', properties: {} },
    }));
  }
  const choice = body.tool_choice;
  if (choice === 'auto') request.tool_choice = { type: 'auto' };
  else if (choice === 'required') request.tool_choice = { type: 'any' };
  else if (choice === 'none') request.tool_choice = { type: 'none' };
  else if (choice?.type === 'function') request.tool_choice = { type: 'tool', name: choice.function.name };
  return request;
}

/** An Anthropic Messages request as the OpenAI Chat Completions request that answers it. */
export function openAIRequestFromAnthropic(body: Json): Json {
  const messages: Json[] = [];
  if (body.system !== undefined) messages.push({ role: 'system', content: textOf(body.system) });
  for (const message of body.messages ?? []) {
    const blocks: Json[] =
      typeof message.content === 'string' ? [{ type: 'text', text: message.content }] : message.content;
    const text = blocks
      .filter((block) => block.type === 'text')
      .map((block) => block.text)
      .join('');
    if (message.role === 'assistant') {
      const calls = blocks
        .filter((block) => block.type === 'tool_use')
        .map((block) => ({
          id: block.id,
          type: 'function',
          function: { name: block.name, arguments: JSON.stringify(block.input ?? {}) },
        }));
      messages.push({
        role: 'assistant',
        content: text === '' ? null : text,
        ...(calls.length > 0 && { tool_calls: calls }),
      });
      continue;
    }
    // Tool results come first: OpenAI wants them right after the assistant's tool calls.
    for (const block of blocks)
      if (block.type === 'tool_result')
        messages.push({
          role: 'tool',
          tool_call_id: block.tool_use_id,
          content: textOf(block.content ?? ''),
        });
    if (text !== '') messages.push({ role: 'user', content: text });
  }
  const request: Json = {
    model: body.model,
    messages,
    max_completion_tokens: body.max_tokens,
    stream: true,
    stream_options: { include_usage: true },
  };
  if (body.temperature !== undefined) request.temperature = body.temperature;
  if (body.top_p !== undefined) request.top_p = body.top_p;
  if (body.stop_sequences !== undefined) request.stop = body.stop_sequences;
  if (Array.isArray(body.tools) && body.tools.length > 0) {
    request.tools = body.tools.map((tool: Json) => ({
      type: 'function',
      function: {
        name: tool.name,
        ...(tool.description !== undefined && { description: tool.description }),
        parameters: tool.input_schema,
      },
    }));
  }
  const choice = body.tool_choice;
  if (choice?.type === 'auto') request.tool_choice = 'auto';
  else if (choice?.type === 'any') request.tool_choice = 'required';
  else if (choice?.type === 'none') request.tool_choice = 'none';
  else if (choice?.type === 'tool')
    request.tool_choice = { type: 'function', function: { name: choice.name } };
  return request;
}

/** Text of a string or of an array of text parts/blocks (either API's shape). */
function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .filter((part: Json) => part.type === 'text')
    .map((part: Json) => part.text)
    .join('');
}

function textBlocks(content: unknown): Json[] {
  const text = textOf(content);
  return text === '' ? [] : [{ type: 'text', text }];
}

function parseArguments(text: string | undefined): unknown {
  try {
    return JSON.parse(text || '{}');
  } catch {
    return {};
  }
}
