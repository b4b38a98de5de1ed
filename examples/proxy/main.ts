// Run: PROXY_CLIENT_KEYS=key1,key2 ANTHROPIC_API_KEY=… OPENAI_API_KEY=… npx tsx examples/proxy/main.ts
// Then point an OpenAI client at http://localhost:8787/v1 with a Claude model name, or an
// Anthropic client at http://localhost:8787 with an OpenAI model name; its API key is one of
// PROXY_CLIENT_KEYS.
import { createProxy } from './createProxy';

const port = Number(process.env.PORT ?? 8787);
const clientKeys = (process.env.PROXY_CLIENT_KEYS ?? '').split(',').filter((key) => key !== '');
if (clientKeys.length === 0) throw new Error('set PROXY_CLIENT_KEYS: the keys your clients use');
createProxy({
  clientKeys,
  anthropic: {
    baseURL: process.env.ANTHROPIC_BASE_URL ?? 'https://api.anthropic.com',
    apiKey: process.env.ANTHROPIC_API_KEY ?? '',
  },
  openai: {
    baseURL: process.env.OPENAI_BASE_URL ?? 'https://api.openai.com',
    apiKey: process.env.OPENAI_API_KEY ?? '',
  },
}).listen(port, () => console.log(`proxy on http://localhost:${port}`));
