/* global document, fetch, Option, URLSearchParams, location, crypto, history, performance, EventSource, requestAnimationFrame */
// The web demo's page script: no framework, no bundler. It reads the rxllm-dialect SSE stream of
// /stream with an EventSource (every frame is `event: <type>` with the rxllm event as JSON) and
// draws both tracks, a chart of tokens over time, and usage and cost per track.

const $ = (selector) => document.querySelector(selector);
const trackNames = ['local', 'cloud'];
const colors = { local: '#0e8a7e', cloud: '#7a4fd6' };
const eventTypes = [
  'start',
  'text',
  'reasoning',
  'refusal',
  'tool-call-start',
  'tool-call-delta',
  'tool-call',
  'usage',
  'usage-total',
  'step-start',
  'finish',
  'reset',
  'progress',
  'comparison',
  'done',
];

let run; // the current run: { es, session, startedAt, tracks, total, comparison }

function newTrack() {
  return {
    text: '',
    voided: false,
    tokens: 0,
    points: [[0, 0]],
    status: 'waiting',
    usage: undefined,
    progress: undefined,
  };
}

function setState(state, detail) {
  document.body.dataset.state = state;
  $('#status').textContent = detail ? `${state}: ${detail}` : state;
  const live = state === 'streaming' || state === 'paused';
  $('#run').disabled = live;
  $('#pause').disabled = state !== 'streaming';
  $('#resume').disabled = state !== 'paused';
  $('#cancel').disabled = !live;
}

function pane(track) {
  return document.querySelector(`.pane[data-track="${track}"]`);
}

async function init() {
  const info = await (await fetch('/info')).json();
  $('#prompt').value = info.defaultPrompt;
  for (const strategy of info.strategies) $('#strategy').add(new Option(strategy, strategy));
  const fromQuery = new URLSearchParams(location.search).get('strategy');
  if (fromQuery && info.strategies.includes(fromQuery)) $('#strategy').value = fromQuery;
  for (const track of trackNames) pane(track).querySelector('.model').textContent = info.tracks[track];
  $('#controls').addEventListener('submit', (event) => {
    event.preventDefault();
    start();
  });
  $('#pause').addEventListener('click', () => control('pause', 'paused'));
  $('#resume').addEventListener('click', () => control('resume', 'streaming'));
  $('#cancel').addEventListener('click', cancel);
  setState('idle');
  draw();
  // A reloaded page, or a second tab on the same address: continue the run it names.
  const existing = new URLSearchParams(location.search).get('run');
  if (existing) attach(existing, new URLSearchParams({ session: existing }));
}

function start() {
  const session = crypto.randomUUID ? crypto.randomUUID() : String(Math.random()).slice(2);
  const strategy = $('#strategy').value;
  // The run's id goes into the address: a reload, or the same address in another tab, reads it again.
  history.replaceState(null, '', `?strategy=${strategy}&run=${session}`);
  attach(session, new URLSearchParams({ session, strategy, prompt: $('#prompt').value }));
}

/** Reads the run `session` from the server's log: from its start, then live. */
function attach(session, query) {
  run = {
    session,
    startedAt: performance.now(),
    tracks: { local: newTrack(), cloud: newTrack() },
    total: undefined,
    comparison: undefined,
    cancelled: false,
  };
  for (const track of trackNames) {
    const element = pane(track);
    element.classList.remove('replaced');
    element.querySelector('.text').textContent = '';
  }
  const es = new EventSource(`/stream?${query}`);
  run.es = es;
  for (const type of eventTypes)
    es.addEventListener(type, (message) =>
      onEvent(type, JSON.parse(message.data === '[DONE]' ? 'null' : message.data)),
    );
  // rxllm's error frame is `event: rxllm-error`; EventSource's own `error` is the connection failing.
  es.addEventListener('rxllm-error', (message) => onEvent('error', JSON.parse(message.data)));
  es.addEventListener('error', () => {
    // A dropped connection is reopened by the browser with Last-Event-ID and the server resumes
    // from the log; only a refused one (an unknown run: 404) is final.
    if (run?.es === es && es.readyState === EventSource.CLOSED && document.body.dataset.state !== 'done')
      finish('failed', 'connection lost');
  });
  setState('streaming');
  render();
}

async function control(action, state) {
  if (!run) return;
  const response = await fetch(`/${action}?session=${run.session}`, { method: 'POST' });
  if (response.ok) setState(state);
}

function cancel() {
  if (!run) return;
  // Stops the run for every page reading it: each one's stream ends with finish `cancelled`.
  void fetch(`/cancel?session=${run.session}`, { method: 'POST' }).catch(() => {});
}

function finish(state, detail) {
  run.es.close();
  setState(state, detail);
  render();
}

function onEvent(type, event) {
  // Frames received, for the tests to wait on (the server counts the frames it sent).
  document.body.dataset.frames = String(Number(document.body.dataset.frames ?? 0) + 1);
  if (!run) return;
  if (type === 'done')
    return finish(document.body.dataset.state === 'failed' ? 'failed' : run.cancelled ? 'cancelled' : 'done');
  // The run's own finish (no track): a cancel, from this page or another.
  if (type === 'finish' && event?.track === undefined && event?.reason === 'cancelled') run.cancelled = true;
  if (type === 'comparison') run.comparison = event;
  const track = event?.track === undefined ? undefined : run.tracks[event.track];
  if (type === 'usage-total') run.total = event;
  if (type === 'error' && (event.fatal || !track)) {
    // Closing at once: an EventSource left open reconnects when the body ends, a new model call.
    if (event.fatal) return finish('failed', event.error?.message ?? 'stream failed');
    setState('failed', event.error?.message ?? 'stream failed');
    return;
  }
  if (!track) return render();
  switch (type) {
    case 'start':
      track.status = 'streaming';
      break;
    case 'text':
      if (track.voided) {
        track.text = '';
        track.voided = false;
        pane(event.track).classList.remove('replaced');
      }
      track.text += event.text;
      track.tokens += 1;
      track.status = 'streaming';
      track.points.push([(performance.now() - run.startedAt) / 1000, track.tokens]);
      break;
    case 'reset':
      // A take-back: what this track showed is void (handoff replaced the draft, fallback moved on).
      track.voided = true;
      track.status = `replaced (${event.reason})`;
      pane(event.track).classList.add('replaced');
      break;
    case 'finish':
      if (!track.voided)
        track.status = event.reason === 'cancelled' ? 'cancelled by the strategy' : `finish: ${event.reason}`;
      break;
    case 'usage':
      track.usage = event;
      break;
    case 'progress':
      // A track that ended keeps the figures it ended with; later reports only see time pass.
      if (track.status === 'waiting' || track.status === 'streaming') track.progress = event;
      break;
    case 'error':
      track.status = `failed: ${event.error.message}`;
      break;
  }
  render();
}

let scheduled = false;
function render() {
  if (scheduled) return;
  scheduled = true;
  requestAnimationFrame(() => {
    scheduled = false;
    if (!run) return;
    for (const name of trackNames) {
      const track = run.tracks[name];
      const element = pane(name);
      const text = element.querySelector('.text');
      if (text.textContent !== track.text) text.textContent = track.text;
      const p = track.progress;
      const figures =
        p && p.tokens > 0
          ? ` · ${track.tokens} tok · ${p.tokensPerSecond.toFixed(1)} tok/s · TTFT ${Math.round(p.timeToFirstTokenMs)} ms`
          : '';
      element.querySelector('.stats').textContent = `${track.status}${figures}`;
      element.querySelector('.usage').textContent = track.usage ? usageLine(track.usage) : 'usage: -';
    }
    summary();
    draw();
  });
}

function usageLine(usage) {
  const cost = usage.cost === undefined ? 'cost unknown' : `$${usage.cost.toFixed(6)}`;
  return `${usage.inputTokens} in · ${usage.outputTokens} out · ${cost}${usage.estimated ? ' (estimated)' : ''}`;
}

function summary() {
  const body = $('#summary-body');
  const rows = trackNames.map((name) => {
    const usage = run.tracks[name].usage;
    return [
      name,
      usage?.inputTokens ?? '-',
      usage?.outputTokens ?? '-',
      usage?.cost === undefined ? '-' : `$${usage.cost.toFixed(6)}`,
    ];
  });
  if (run.total)
    rows.push([
      'total',
      run.total.inputTokens,
      run.total.outputTokens,
      run.total.cost === undefined ? '-' : `$${run.total.cost.toFixed(6)}`,
    ]);
  const table = document.createElement('table');
  table.innerHTML = '<tr><th>track</th><th>input</th><th>output</th><th>cost</th></tr>';
  for (const row of rows) {
    const tr = table.insertRow();
    for (const cell of row) tr.insertCell().textContent = String(cell);
  }
  const parts = [table];
  if (run.comparison) {
    const c = run.comparison;
    const lines = c.tracks.map(
      (t) =>
        `${t.track}: TTFT ${t.timeToFirstTokenMs === undefined ? '-' : `${Math.round(t.timeToFirstTokenMs)} ms`}, ${t.tokensPerSecond.toFixed(1)} tok/s, ${Math.round(t.totalMs)} ms in all`,
    );
    for (const [pair, value] of Object.entries(c.similarity))
      lines.push(`similarity ${pair.replace('|', ' ~ ')}: ${value.toFixed(2)} (${c.similarityMeasure})`);
    for (const line of lines) {
      const p = document.createElement('p');
      p.textContent = line;
      parts.push(p);
    }
  }
  body.replaceChildren(...parts);
}

/** Tokens over time per track, as an inline SVG drawn from scratch: axes, grid and one line per track. */
function draw() {
  const svg = $('#chart');
  const width = svg.clientWidth || 600;
  const height = svg.clientHeight || 200;
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
  const left = 40,
    right = 12,
    top = 10,
    bottom = 24;
  const tracks = run ? trackNames.map((name) => [name, run.tracks[name].points]) : [];
  const maxT = Math.max(4, ...tracks.flatMap(([, points]) => points.map(([t]) => t)));
  const maxN = Math.max(20, ...tracks.flatMap(([, points]) => points.map(([, n]) => n)));
  const x = (t) => left + (t / maxT) * (width - left - right);
  const y = (n) => height - bottom - (n / maxN) * (height - top - bottom);
  const parts = [];
  const stepN = niceStep(maxN / 4);
  for (let n = 0; n <= maxN; n += stepN) {
    parts.push(`<line x1="${left}" x2="${width - right}" y1="${y(n)}" y2="${y(n)}" stroke="#e3e6ee"/>`);
    parts.push(`<text x="${left - 6}" y="${y(n) + 4}" text-anchor="end">${n}</text>`);
  }
  const stepT = niceStep(maxT / 6);
  for (let t = 0; t <= maxT; t += stepT)
    parts.push(
      `<text x="${x(t)}" y="${height - 6}" text-anchor="middle">${t.toFixed(stepT < 1 ? 1 : 0)} s</text>`,
    );
  for (const [name, points] of tracks) {
    const d = points.map(([t, n]) => `${x(t).toFixed(1)},${y(n).toFixed(1)}`).join(' ');
    parts.push(
      `<polyline points="${d}" fill="none" stroke="${colors[name]}" stroke-width="2.2" stroke-linejoin="round"/>`,
    );
    const [lt, ln] = points[points.length - 1];
    parts.push(
      `<text x="${Math.min(x(lt) + 4, width - right - 30)}" y="${Math.max(top + 10, y(ln) - 5)}" style="fill:${colors[name]}">${name}</text>`,
    );
  }
  svg.innerHTML = parts.join('');
}

function niceStep(raw) {
  const power = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((m) => m * power).find((step) => step >= raw);
}

init();
