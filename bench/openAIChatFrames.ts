// The OpenAI chat stream the concurrency benchmarks serve: each token a chunk of its own, as
// encoded bytes made once, so that serving thousands of streams costs the server nothing per token.
const head =
  '{"id":"chatcmpl-C","object":"chat.completion.chunk","created":1763600000,"model":"gpt-4o-mini","system_fingerprint":"fp_c","choices":[';

/** The first chunk (the role), one chunk per token of `pool`, and the tail for `completionTokens`. */
export function openAIChatFrames(pool: readonly string[], completionTokens: number) {
  const encoder = new TextEncoder();
  return {
    first: encoder.encode(
      `data: ${head}{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}],"usage":null}\n\n`,
    ),
    frames: pool.map((token) =>
      encoder.encode(
        `data: ${head}{"index":0,"delta":{"content":${JSON.stringify(token)}},"finish_reason":null}],"usage":null}\n\n`,
      ),
    ),
    tail: encoder.encode(
      `data: ${head}{"index":0,"delta":{},"finish_reason":"stop"}],"usage":null}\n\ndata: ${head}],"usage":{"prompt_tokens":9,"completion_tokens":${completionTokens},"total_tokens":${9 + completionTokens}}}\n\ndata: [DONE]\n\n`,
    ),
  };
}
