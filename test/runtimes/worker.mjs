/* global fetch, Response, URL */
// roundTrip.mjs as a Workers module for workerd: `/round-trip?upstream=…&dialect=…` answers with
// the round trip's JSON, `/serve?…` with the `toResponse` body itself, streamed by workerd.
import { roundTrip, serve } from './roundTrip.mjs';

export default {
  async fetch(request) {
    const url = new URL(request.url);
    const upstream = await fetch(url.searchParams.get('upstream'));
    const dialect = url.searchParams.get('dialect');
    if (url.pathname === '/serve') return serve(upstream, dialect);
    return Response.json(await roundTrip(upstream, dialect));
  },
};
