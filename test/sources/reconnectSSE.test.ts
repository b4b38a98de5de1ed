import { fromSSE } from '../../src/sources/fromSSE';
import { reconnectSSE } from '../../src/sources/reconnectSSE';

describe('reconnectSSE', () => {
  it('checks its options when made', () => {
    expect(() => reconnectSSE({ maxReconnects: -1 })).toThrow(TypeError);
    expect(() => reconnectSSE({ maxReconnects: 1.5 })).toThrow(TypeError);
    expect(() => reconnectSSE({ retryDelayMs: Infinity })).toThrow(TypeError);
    expect(() => reconnectSSE({ maxReconnects: 0, retryDelayMs: 0 })).not.toThrow();
  });

  it('needs a function input (it is called again to reconnect) and an SSE dialect', () => {
    const reconnect = reconnectSSE();
    expect(() => fromSSE(['data: {}\n\n'], { dialect: 'rxllm', reconnect })).toThrow(/function input/);
    expect(() => fromSSE(() => ['{}\n'], { dialect: 'ollama', reconnect })).toThrow(/not framed as SSE/);
  });
});
