/* global fetch, console */
// One script for every runtime (Node, Bun, Deno, workerd): web APIs only (fetch, Response,
// ReadableStream), and the BUILT package (dist/), as a user of each runtime would import it.
//
// The round trip: fetch a recorded provider stream from a local server, decode it with `fromSSE`,
// serve it with `toResponse(… toSSE)`, read that Response back with `fromSSE` and report what came
// through. Run as a program (`<runtime> roundTrip.mjs <fixture url> <dialect>`) it prints one JSON
// line; in workerd, worker.mjs wraps the same functions in a `fetch` handler (kept out of this file:
// Bun starts a server for any program whose default export has a `fetch`).
import { lastValueFrom, toArray } from 'rxjs';
import { fromSSE, toResponse, toSSE } from '../../dist/index.js';

/** The round trip of one upstream Response: what the re-served stream reads back as. */
export async function roundTrip(upstream, dialect) {
  const served = serve(upstream, dialect);
  const events = await lastValueFrom(fromSSE(served, { dialect: 'rxllm' }).pipe(toArray()));
  const finish = events.find((event) => event.type === 'finish');
  // The last usage event holds the totals (Anthropic reports usage at the start and at the end).
  const usage = events.filter((event) => event.type === 'usage').pop();
  return {
    status: served.status,
    contentType: served.headers.get('content-type'),
    types: [...new Set(events.map((event) => event.type))].sort(),
    text: events
      .filter((event) => event.type === 'text')
      .map((event) => event.text)
      .join(''),
    finishReason: finish ? finish.reason : null,
    outputTokens: usage ? usage.outputTokens : null,
  };
}

/** The upstream stream decoded and served again in the `rxllm` dialect. */
export function serve(upstream, dialect) {
  return toResponse(fromSSE(upstream, { dialect }).pipe(toSSE({ dialect: 'rxllm' })));
}

// As a program: Deno has Deno.args, Node and Bun process.argv; workerd neither, so there this
// module only exports (worker.mjs calls it).
const args = globalThis.Deno?.args ?? globalThis.process?.argv?.slice(2) ?? [];
if (args.length === 2) {
  const [upstreamUrl, dialect] = args;
  console.log(JSON.stringify(await roundTrip(await fetch(upstreamUrl), dialect)));
}
