/**
 * What the embedded servers answer when no real provider is configured. The answers are written
 * the way the two kinds of model tend to answer: the small local model is shorter and plainer,
 * the cloud model longer and more structured. They are replayed token by token with realistic
 * timing (see modelServer.ts), so the demo shows how the strategies behave, not what models know.
 */

export interface CannedAnswer {
  local: string;
  cloud: string;
}

export const defaultPrompt = 'Why is the sky blue?';

const canned: Record<string, CannedAnswer> = {
  'why is the sky blue': {
    local:
      'The sky looks blue because of Rayleigh scattering. Sunlight contains every color, and when it ' +
      'passes through the atmosphere the short blue wavelengths are scattered by the nitrogen and ' +
      'oxygen molecules much more than the longer red ones. That scattered blue light reaches your ' +
      'eyes from every direction, so the whole sky appears blue. At sunrise and sunset the light ' +
      'travels through more air, most of the blue is scattered away, and the sky turns orange and red.',
    cloud:
      'The sky is blue because of **Rayleigh scattering**.\n\n' +
      '1. Sunlight is a mix of all visible wavelengths, from violet (about 400 nm) to red (about 700 nm).\n' +
      '2. Air molecules are much smaller than those wavelengths, and they scatter light with an ' +
      'intensity proportional to 1/λ⁴, so blue light is scattered roughly five times more than red.\n' +
      '3. That scattered light reaches you from every part of the sky, which is why the sky as a ' +
      'whole looks blue rather than only the area around the Sun.\n\n' +
      'Why not violet, then? The Sun emits less violet than blue, some violet is absorbed high in the ' +
      'atmosphere, and our eyes are far more sensitive to blue. At sunrise and sunset the light ' +
      'crosses much more air, the blue is scattered out before it reaches you, and the reds and ' +
      'oranges remain.',
  },
  'what is rxjs': {
    local:
      'RxJS is a JavaScript library for reactive programming with Observables. An Observable is a ' +
      'stream of values over time, and operators like map, filter and mergeMap let you transform ' +
      'and combine those streams. It is used a lot in Angular and anywhere you handle events, HTTP ' +
      'requests or WebSockets.',
    cloud:
      'RxJS (Reactive Extensions for JavaScript) is a library for composing asynchronous and ' +
      'event-based programs with **Observables**.\n\n' +
      '- An *Observable* is a lazy push collection of values over time: events, HTTP responses, ' +
      'timers, or tokens streamed from a language model.\n' +
      '- *Operators* (map, filter, switchMap, merge, retry, ...) are pure functions that turn one ' +
      'Observable into another, so complex flows read as a pipeline.\n' +
      '- *Subscriptions* start the work and unsubscribing cancels it, which is what makes ' +
      'cancellation of in-flight requests natural.\n\n' +
      'It is the backbone of Angular and is useful anywhere several asynchronous sources must be ' +
      'combined, raced, retried or throttled.',
  },
};

/** The canned answers for `prompt`; for an unknown prompt, an honest stand-in that says what it is. */
export function answersFor(prompt: string): CannedAnswer {
  const key = prompt
    .toLowerCase()
    .replace(/[^a-z0-9 ]+/g, '')
    .trim();
  const known = canned[key];
  if (known) return known;
  const quoted = prompt.length > 80 ? `${prompt.slice(0, 77)}...` : prompt;
  return {
    local:
      `I am the demo's stand-in for a local model, replaying a canned answer, so I cannot really ` +
      `answer "${quoted}". Set OLLAMA_HOST to stream this prompt from your own Ollama server instead.`,
    cloud:
      `This is the demo's embedded stand-in for a cloud model: it replays a canned stream with ` +
      `realistic timing, but it does not read "${quoted}". Set OPENAI_API_KEY or ANTHROPIC_API_KEY ` +
      `to send the prompt to a real model; the strategies, the live progress and the comparison ` +
      `table work the same way.`,
  };
}

/**
 * Splits text into token-sized pieces the way BPE tokenizers roughly do: a word with its leading
 * space, long words in two, punctuation and newlines on their own.
 */
export function toTokens(text: string): string[] {
  const tokens: string[] = [];
  for (const [piece] of text.matchAll(/\n+| ?[\p{L}\p{N}'/⁴]+| ?[^\s\p{L}\p{N}]|[\s\S]/gu)) {
    const word = piece.trimStart();
    if (word.length > 7) {
      const cut = piece.length - Math.ceil(word.length / 2);
      tokens.push(piece.slice(0, cut), piece.slice(cut));
    } else tokens.push(piece);
  }
  return tokens;
}
