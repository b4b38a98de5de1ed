import type { ProgressEvent, RxllmEvent } from '../src/base/events';

/** One track's pane: what it has shown so far and how it is doing. */
interface Pane {
  track: string;
  title: string;
  color: string;
  text: string;
  status: 'waiting' | 'streaming' | 'done' | 'cancelled' | 'failed' | 'replaced';
  detail?: string;
  progress?: ProgressEvent;
  /** Non-TTY: how much of `text` has been printed as lines. */
  printed: number;
  /** A reset voided `text`; the next delta starts a new one. */
  voided: boolean;
  lastProgressLine: number;
}

export interface TerminalViewConfig {
  out: NodeJS.WriteStream | { write(text: string): unknown; isTTY?: boolean; columns?: number };
  tracks: Array<{ track: string; title: string }>;
  color: boolean;
}

const colors = ['36', '35', '33', '32'];
const pad = 2;

/**
 * Shows the tracks live. On a terminal: one pane per track (side by side when the terminal is
 * wide enough), redrawn in place with ANSI escapes, each with a status line (tokens, tokens/s,
 * time to first token). Elsewhere (a pipe, a CI log): labelled lines `[local] ...` as text
 * accumulates, and a progress line per track every second.
 */
export class TerminalView {
  private readonly panes = new Map<string, Pane>();
  private readonly tty: boolean;
  private drawnLines = 0;
  private timer: ReturnType<typeof setInterval> | undefined;
  private dirty = false;

  constructor(private readonly config: TerminalViewConfig) {
    this.tty = Boolean(config.out.isTTY);
    config.tracks.forEach(({ track, title }, i) =>
      this.panes.set(track, {
        track,
        title,
        color: colors[i % colors.length]!,
        text: '',
        status: 'waiting',
        printed: 0,
        voided: false,
        lastProgressLine: 0,
      }),
    );
  }

  start(): void {
    if (this.tty) {
      this.config.out.write('\x1b[?25l'); // hide the cursor while redrawing
      this.timer = setInterval(() => this.dirty && this.draw(), 50);
      this.draw();
    } else {
      for (const pane of this.panes.values()) this.line(pane, this.paint('2', `${pane.title}`));
    }
  }

  event(event: RxllmEvent): void {
    const pane = event.track === undefined ? undefined : this.panes.get(event.track);
    if (!pane) return;
    this.dirty = true;
    switch (event.type) {
      case 'text':
        if (pane.voided) {
          pane.text = '';
          pane.printed = 0;
          pane.voided = false;
        }
        if (pane.status === 'waiting' || pane.status === 'replaced') pane.status = 'streaming';
        pane.text += event.text;
        if (!this.tty) this.flushLines(pane, false);
        break;
      case 'reset':
        // A take-back (handoff, fallback): what this track showed is void.
        if (!this.tty) {
          this.flushLines(pane, true);
          this.line(pane, this.paint('2', `(reset: ${event.reason}; the text above is void)`));
        }
        pane.status = 'replaced';
        pane.detail = event.reason;
        pane.voided = true;
        break;
      case 'finish':
        if (pane.status === 'replaced') break;
        pane.status = event.reason === 'cancelled' ? 'cancelled' : 'done';
        pane.detail = event.reason;
        if (!this.tty) {
          this.flushLines(pane, true);
          this.line(pane, this.paint('2', `finish: ${event.reason}`));
        }
        break;
      case 'error':
        pane.status = 'failed';
        pane.detail = event.error.message;
        break;
    }
  }

  progress(report: ProgressEvent): void {
    const pane = report.track === undefined ? undefined : this.panes.get(report.track);
    if (!pane) return;
    // A track that ended keeps the figures it ended with (later reports only see time pass).
    if (pane.status !== 'waiting' && pane.status !== 'streaming') return;
    pane.progress = report;
    this.dirty = true;
    if (!this.tty && report.tokens > 0 && report.elapsedMs - pane.lastProgressLine >= 1000) {
      pane.lastProgressLine = report.elapsedMs;
      this.line(pane, this.paint('2', statsLine(report)));
    }
  }

  /** Marks a track failed with a one-line reason (a failure outside the stream's events). */
  failed(track: string, reason: string): void {
    const pane = this.panes.get(track);
    if (!pane) return;
    pane.status = 'failed';
    pane.detail = reason;
    this.dirty = true;
  }

  /** Stops redrawing and erases the live panes (the caller prints the final answers). */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.tty) {
      this.erase();
      this.config.out.write('\x1b[?25h');
    } else {
      for (const pane of this.panes.values()) this.flushLines(pane, true);
    }
  }

  /** What each pane shows now: its text, and how it ended. */
  summary(): Array<{ track: string; title: string; text: string; status: string; detail?: string }> {
    return [...this.panes.values()].map(({ track, title, text, status, detail }) => ({
      track,
      title,
      text,
      status,
      ...(detail !== undefined && { detail }),
    }));
  }

  paint(code: string, text: string): string {
    return this.config.color ? `\x1b[${code}m${text}\x1b[0m` : text;
  }

  private line(pane: Pane, text: string): void {
    this.config.out.write(`${this.paint(pane.color, `[${pane.track}]`)} ${text}\n`);
  }

  /** Non-TTY: prints whole lines of the text not printed yet (at newlines, or about 76 characters at a space). */
  private flushLines(pane: Pane, all: boolean): void {
    for (;;) {
      const pending = pane.text.slice(pane.printed);
      const newline = pending.indexOf('\n');
      let cut = -1;
      if (newline !== -1 && newline <= 76) cut = newline;
      else if (pending.length > 76) {
        cut = pending.lastIndexOf(' ', 76);
        if (cut <= 0) cut = 76;
      }
      if (cut === -1) {
        if (all && pending.trim() !== '') this.line(pane, pending);
        if (all) pane.printed = pane.text.length;
        return;
      }
      pane.printed += cut + (pending[cut] === ' ' || pending[cut] === '\n' ? 1 : 0);
      if (pending.slice(0, cut).trim() !== '') this.line(pane, pending.slice(0, cut));
    }
  }

  private erase(): void {
    if (this.drawnLines > 0) this.config.out.write(`\x1b[${this.drawnLines}A\r\x1b[J`);
    this.drawnLines = 0;
  }

  private draw(): void {
    this.dirty = false;
    const width = Math.max(40, (this.config.out.columns ?? 80) - 1);
    const panes = [...this.panes.values()];
    const sideBySide = width >= 90 && panes.length === 2;
    const paneWidth = sideBySide ? Math.floor((width - 3) / 2) : width;
    const height = 8;
    const blocks = panes.map((pane) => this.block(pane, paneWidth, height));
    const lines: string[] = [];
    if (sideBySide) {
      for (let i = 0; i < blocks[0]!.length; i++) {
        lines.push(`${blocks[0]![i]!.padded}${this.paint('2', ' │ ')}${blocks[1]![i]!.text}`);
      }
    } else {
      for (const block of blocks) lines.push(...block.map((line) => line.text), '');
    }
    this.erase();
    this.config.out.write(`${lines.join('\n')}\n`);
    this.drawnLines = lines.length;
  }

  /** A pane as lines: title, status, then the last `height` lines of its text, padded to `width`. */
  private block(pane: Pane, width: number, height: number): Array<{ text: string; padded: string }> {
    const out: Array<{ text: string; padded: string }> = [];
    const push = (plain: string, code?: string) => {
      const clipped = plain.length > width ? `${plain.slice(0, width - 1)}…` : plain;
      const painted = code ? this.paint(code, clipped) : clipped;
      out.push({ text: painted, padded: painted + ' '.repeat(width - clipped.length) });
    };
    push(`${pane.track} · ${pane.title}`, `1;${pane.color}`);
    push(this.statusText(pane), pane.status === 'failed' ? '31' : '2');
    const wrapped = wrap(pane.text, width - pad);
    const shown = wrapped.slice(-height);
    for (let i = 0; i < height; i++)
      push(`${' '.repeat(pad)}${shown[i] ?? ''}`, pane.status === 'replaced' ? '2;9' : undefined);
    return out;
  }

  private statusText(pane: Pane): string {
    const stats = pane.progress && pane.progress.tokens > 0 ? `  ${statsLine(pane.progress)}` : '';
    switch (pane.status) {
      case 'waiting':
        return `… waiting for the first token${pane.progress ? ` (${(pane.progress.elapsedMs / 1000).toFixed(1)} s)` : ''}`;
      case 'streaming':
        return `▶ streaming${stats}`;
      case 'done':
        return `✓ ${pane.detail ?? 'done'}${stats}`;
      case 'cancelled':
        return `■ cancelled by the strategy${stats}`;
      case 'replaced':
        return `↺ draft replaced (${pane.detail ?? 'reset'})${stats}`;
      case 'failed':
        return `✗ ${pane.detail ?? 'failed'}`;
    }
  }
}

export function statsLine(report: ProgressEvent): string {
  const ttft =
    report.timeToFirstTokenMs !== undefined ? `TTFT ${Math.round(report.timeToFirstTokenMs)} ms` : 'TTFT -';
  return `${report.tokens} tok · ${report.tokensPerSecond.toFixed(1)} tok/s · ${ttft}`;
}

/** Word-wraps `text` to `width` columns, keeping its own line breaks. */
export function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  for (const paragraph of text.split('\n')) {
    let line = '';
    for (const word of paragraph.split(/(?<= )/)) {
      if (line.length + word.trimEnd().length > width && line !== '') {
        lines.push(line.trimEnd());
        line = '';
      }
      line += word.length > width ? word.slice(0, width) : word;
    }
    lines.push(line.trimEnd());
  }
  return lines;
}
