import type { ToolLoopStep } from './runTools';

/** A part of a Gemini `generateContent` content, as the tool loop's steps become. */
export type GeminiLoopPart =
  | { text: string; thoughtSignature?: string }
  | {
      functionCall: { name: string; args: Record<string, unknown>; id?: string };
      thoughtSignature?: string;
    }
  | {
      functionResponse: {
        name: string;
        response: { output: unknown } | { error: string };
        id?: string;
      };
    };

export interface GeminiLoopContent {
  role: 'model' | 'user';
  parts: GeminiLoopPart[];
}

/**
 * The steps of a tool loop as Gemini `contents`, to append to the request's own: per step, a
 * `model` content (the text, then a `functionCall` part per call), then a `user` content of
 * `functionResponse` parts, each `{ output }` or `{ error }` as Gemini documents. Gemini 3
 * requires the thought signature back where it came: the step's first signature goes on its first
 * `functionCall` part (on its text part when it called nothing), as Gemini signs the first call
 * of a turn. Call ids go back only where Gemini sent them (the decoder makes up `call_<n>`
 * otherwise, and those are not sent). Thought summaries are not sent back.
 */
export function toGeminiContents(history: readonly ToolLoopStep[]): GeminiLoopContent[] {
  return history.flatMap((step): GeminiLoopContent[] => {
    const signature = step.reasoning.find(
      (part): part is { text: string; signature: string } =>
        'signature' in part && part.signature !== undefined,
    )?.signature;
    const parts: GeminiLoopPart[] = [];
    if (step.message.text !== '') parts.push({ text: step.message.text });
    for (const call of step.message.toolCalls) {
      const functionCall: { name: string; args: Record<string, unknown>; id?: string } = {
        name: call.name,
        args: (call.args ?? {}) as Record<string, unknown>,
      };
      if (!madeUp(call.id)) functionCall.id = call.id;
      parts.push({ functionCall });
    }
    if (signature !== undefined) {
      const signed = parts.find((part) => 'functionCall' in part) ?? parts[parts.length - 1];
      if (signed !== undefined && !('functionResponse' in signed)) signed.thoughtSignature = signature;
    }
    const turns: GeminiLoopContent[] = [{ role: 'model', parts }];
    if (step.toolResults.length > 0)
      turns.push({
        role: 'user',
        parts: step.toolResults.map((result): GeminiLoopPart => {
          const functionResponse: {
            name: string;
            response: { output: unknown } | { error: string };
            id?: string;
          } = {
            name: result.name,
            response:
              result.error === undefined ? { output: result.result ?? null } : { error: result.error },
          };
          if (!madeUp(result.id)) functionResponse.id = result.id;
          return { functionResponse };
        }),
      });
    return turns;
  });
}

/** The decoder's stand-in id for a call Gemini sent without one. */
function madeUp(id: string): boolean {
  return /^call_\d+$/.test(id);
}
