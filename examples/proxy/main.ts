// Run: ANTHROPIC_API_KEY=… OPENAI_API_KEY=… npx tsx examples/proxy/main.ts
// Then point an OpenAI client at http://localhost:8787/v1 with a Claude model name, or an
// Anthropic client at http://localhost:8787 with an OpenAI model name.
import { createProxy } from './createProxy';

const port = Number(process.env.PORT ?? 8787);
createProxy({
  anthropic: {
    baseURL: process.env.ANTHROPIC_BASE_URL ?? 'https://api.anthropic.com',
    apiKey: process.env.ANTHROPIC_API_KEY ?? '',
  },
  openai: {
    baseURL: process.env.OPENAI_BASE_URL ?? 'https://api.openai.com',
    apiKey: process.env.OPENAI_API_KEY ?? '',
  },
}).listen(port, () => console.log(`proxy on http://localhost:${port}`));
