'use client';
import type { Terminal } from '@xterm/xterm';
import type { FitAddon } from '@xterm/addon-fit';
import type { SearchAddon } from '@xterm/addon-search';
import type { AttachResult, SnapshotEvent } from '../lib/realtime/events';
import { MAX_INPUT_BYTES } from './limits';
import { FlowControl } from '../lib/realtime/flow-control';
import { markOnce } from './perfMarks';
import { Sha256 } from './sha256';
import { getSocket } from './socket';
import { loadXterm, TERMINAL_THEME } from './xtermLoader';
import { applyRendererAfterFirstFrame, type RendererChoice } from './renderer';

/**
 * Flow control from the page's side (constants shared with the server in lib/realtime/flow-control.ts).
 * The server stops feeding a viewer whose unacknowledged bytes pass its high-water mark, so the page
 * acknowledges what xterm has *parsed*, from the write callback, never what the socket delivered.
 * Acks are batched every FlowControl.ACK_BYTES (below the server's low-water mark, or a stopped viewer
 * could wait forever for an ack it never sends); ACK_IDLE_MS flushes the remainder when the write
 * queue drains.
 */
export const ACK_BYTES = FlowControl.ACK_BYTES;
export const ACK_IDLE_MS = 20;

/** What the page received from one worker, for the e2e tests (window.__agentRelay.streams). */
export interface StreamStats {
  /** Output offset where counting began (the first snapshot's offset or the first `since`). */
  startOffset: number | null;
  /** Next output offset the page expects. */
  offset: number | null;
  /** Everything before this offset has been parsed by xterm. */
  rendered: number;
  /** Output bytes written to the terminal since startOffset (duplicates skipped). */
  bytes: number;
  /** Snapshots received after the first one (the server resynchronised this viewer). */
  resyncs: number;
  /** Output chunks that started after the expected offset (bytes missing). */
  gaps: number;
  /** SHA-256 of the `bytes` counted above, hex. */
  sha256(): string;
}

export interface SessionState {
  attached: boolean;
  driving: boolean;
  driver: string | null;
  error: string | null;
  /** The xterm renderer in use and why (client/renderer.ts); null until the terminal opens. */
  renderer: RendererChoice | null;
}

type Listener = () => void;

export class TerminalSession {
  term: Terminal | null = null;
  private fitAddon: FitAddon | null = null;
  private searchAddon: SearchAddon | null = null;
  private host: HTMLDivElement | null = null;
  private resizeObserver: ResizeObserver | null = null;
  private hash = new Sha256();
  private lastAck = 0;
  private ackTimer: ReturnType<typeof setTimeout> | null = null;
  private awaitingSnapshot = false;
  private listeners = new Set<Listener>();
  private workerSize: { cols: number; rows: number } | null = null;
  private resizeTimer: ReturnType<typeof setTimeout> | null = null;
  private mountToken = 0;
  private creating: Promise<void> | null = null;
  private opened = false;
  private attachRequested = false;
  private focusPending = false;
  /** A screen the server rendered into the page, drawn when the terminal opens (see prime()). */
  private primed: SnapshotEvent | null = null;
  /** When the user pressed the Ctrl key on the phone key bar: the next key becomes a control character. */
  stickyCtrl = false;
  /** Claim the driver seat on attach when nobody drives. */
  autoDrive = true;
  state: SessionState = { attached: false, driving: false, driver: null, error: null, renderer: null };
  readonly stats: StreamStats;

  constructor(readonly name: string) {
    const self = this;
    this.stats = {
      startOffset: null,
      offset: null,
      rendered: 0,
      bytes: 0,
      resyncs: 0,
      gaps: 0,
      sha256: () => self.hash.hex(),
    };
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private setState(patch: Partial<SessionState>) {
    this.state = { ...this.state, ...patch };
    for (const l of this.listeners) l();
  }

  /** Put the terminal into `container` (creating it on first use) and attach to the worker's output. */
  async mount(container: HTMLElement): Promise<void> {
    // Effects may mount, unmount and mount again before xterm has loaded: only the latest call proceeds.
    const token = ++this.mountToken;
    if (!this.term) {
      this.creating ??= this.create();
      await this.creating;
    }
    if (token !== this.mountToken || !this.term || !this.host) return;
    if (this.host.parentElement !== container) container.appendChild(this.host);
    if (!this.opened) {
      this.term.open(this.host);
      this.opened = true;
      markOnce('terminal-open');
      const term = this.term;
      applyRendererAfterFirstFrame(term, () => this.term === term, (renderer) => this.setState({ renderer }));
      // Drawn now, without waiting for the socket; the attach below asks only for what came after it.
      if (this.primed && this.stats.offset === null) this.onSnapshot(this.primed);
      this.primed = null;
    }
    if (this.focusPending) this.term.focus();
    this.focusPending = false;
    this.resizeObserver?.disconnect();
    this.resizeObserver = new ResizeObserver(() => this.onContainerResize());
    this.resizeObserver.observe(container);
    this.attach();
  }

  unmount(): void {
    this.mountToken++;
    this.resizeObserver?.disconnect();
    this.resizeObserver = null;
    if (this.attachRequested) getSocket().emit('worker:detach', { name: this.name });
    this.attachRequested = false;
    this.flushAck();
    this.host?.remove();
    this.setState({ attached: false });
  }

  dispose(): void {
    this.unmount();
    this.term?.dispose();
    this.term = null;
    this.creating = null;
    this.opened = false;
  }

  private async create() {
    const { Terminal, FitAddon, SearchAddon, WebLinksAddon } = await loadXterm();
    const host = document.createElement('div');
    host.className = 'h-full w-full';
    host.dataset.terminal = this.name;
    const term = new Terminal({
      allowProposedApi: true,
      // A steady cursor, as VS Code's terminal and WeTTY draw it (decision 0016): xterm's DOM renderer
      // blinks with a CSS animation that never stops, so Chromium has a frame pending at every
      // keystroke and holds the echo's socket message until it (p50 27 ms → 11 ms in the page).
      cursorBlink: false,
      fontFamily: '"JetBrains Mono", "DejaVu Sans Mono", "Liberation Mono", monospace',
      fontSize: 13,
      lineHeight: 1.15,
      scrollback: 5000,
      theme: TERMINAL_THEME,
    });
    this.fitAddon = new FitAddon();
    this.searchAddon = new SearchAddon();
    term.loadAddon(this.fitAddon);
    term.loadAddon(this.searchAddon);
    term.loadAddon(new WebLinksAddon((_event, uri) => window.open(uri, '_blank', 'noopener')));
    term.onData((data) => this.onTyped(data));
    term.onResize(({ cols, rows }) => {
      if (this.state.driving) this.sendResize(cols, rows);
    });
    if (this.workerSize) term.resize(this.workerSize.cols, this.workerSize.rows);
    this.term = term;
    this.host = host;
  }

  /** Start from a screen the server rendered into the page (used only if nothing was received before the terminal opens). */
  prime(snapshot: SnapshotEvent): void {
    if (!this.opened && this.stats.offset === null) this.primed = snapshot;
  }

  /** Attach (or re-attach after a reconnect) from the last offset the page holds; none means snapshot. */
  attach(): void {
    if (!this.term) return;
    const socket = getSocket();
    const since = this.stats.offset;
    const token = this.mountToken;
    this.awaitingSnapshot = since === null;
    this.attachRequested = true;
    markOnce('attach-sent');
    socket.emit('worker:attach', since === null ? { name: this.name } : { name: this.name, since }, (res: AttachResult) => {
      if (token !== this.mountToken) return; // unmounted meanwhile
      if (!res?.ok) {
        this.setState({ attached: false, error: res?.error?.message ?? 'Could not attach to the worker.' });
        return;
      }
      if (res.worker) this.setWorkerSize(res.worker.cols, res.worker.rows);
      const driver = res.driver ?? null;
      this.setState({ attached: true, error: null, driver, driving: driver !== null && driver === socket.id });
      if (driver === null && this.autoDrive && res.worker?.status !== 'exited') this.drive();
    });
  }

  onOutput(start: number, data: Uint8Array): void {
    const term = this.term;
    if (!term || this.awaitingSnapshot || this.stats.offset === null) return;
    const end = start + data.length;
    const offset = this.stats.offset;
    if (end <= offset) return; // already written: a replay after reconnect
    if (start > offset) this.stats.gaps++;
    const bytes = start < offset ? data.subarray(offset - start) : data;
    this.stats.offset = end;
    this.stats.bytes += bytes.length;
    this.hash.update(bytes);
    term.write(bytes, () => this.rendered(end));
  }

  onSnapshot(event: SnapshotEvent): void {
    const term = this.term;
    if (!term) return;
    if (this.stats.startOffset === null) this.stats.startOffset = event.offset;
    else this.stats.resyncs++;
    this.awaitingSnapshot = false;
    this.stats.offset = event.offset;
    this.setWorkerSize(event.cols, event.rows);
    term.reset();
    markOnce('snapshot-received');
    term.write(event.data, () => {
      markOnce('snapshot-parsed');
      this.rendered(event.offset);
    });
  }

  private rendered(offset: number) {
    if (offset > this.stats.rendered) this.stats.rendered = offset;
    if (this.stats.rendered - this.lastAck >= ACK_BYTES) this.flushAck();
    else if (!this.ackTimer) this.ackTimer = setTimeout(() => this.flushAck(), ACK_IDLE_MS);
  }

  private flushAck() {
    if (this.ackTimer) clearTimeout(this.ackTimer);
    this.ackTimer = null;
    if (this.stats.rendered <= this.lastAck) return;
    this.lastAck = this.stats.rendered;
    getSocket().emit('worker:ack', { name: this.name, offset: this.lastAck });
  }

  onDriver(driver: string | null): void {
    const driving = driver !== null && driver === getSocket().id;
    this.setState({ driver, driving });
    if (driving) this.fitNow();
    else if (this.workerSize && this.term) this.term.resize(this.workerSize.cols, this.workerSize.rows);
  }

  /** The worker's own size (watchers render at it; the driver sets it). */
  setWorkerSize(cols: number, rows: number): void {
    this.workerSize = { cols, rows };
    if (this.term && !this.state.driving && (this.term.cols !== cols || this.term.rows !== rows)) this.term.resize(cols, rows);
  }

  drive(): void {
    getSocket().emit('worker:drive', { name: this.name }, (res) => {
      if (res && !res.ok) this.setState({ error: res.error?.message ?? 'Could not take control.' });
    });
  }

  private onContainerResize() {
    if (this.state.driving) this.fitNow();
  }

  fitNow(): void {
    if (!this.term || !this.fitAddon || !this.host?.isConnected) return;
    const dims = this.fitAddon.proposeDimensions();
    if (!dims || !Number.isFinite(dims.cols) || dims.cols < 2 || dims.rows < 1) return;
    if (dims.cols === this.term.cols && dims.rows === this.term.rows) this.sendResize(dims.cols, dims.rows);
    else this.fitAddon.fit(); // onResize sends it
  }

  private sendResize(cols: number, rows: number) {
    // A window drag fires many resizes; the PTY only needs the last one.
    if (this.resizeTimer) clearTimeout(this.resizeTimer);
    this.resizeTimer = setTimeout(() => {
      this.resizeTimer = null;
      if (this.workerSize?.cols === cols && this.workerSize?.rows === rows) return;
      this.workerSize = { cols, rows };
      getSocket().emit('worker:resize', { name: this.name, cols, rows });
    }, 60);
  }

  private onTyped(data: string) {
    if (this.stickyCtrl && data.length === 1) {
      this.stickyCtrl = false;
      const code = data.toUpperCase().charCodeAt(0);
      if (code >= 64 && code < 96) data = String.fromCharCode(code & 0x1f);
      for (const l of this.listeners) l();
    }
    this.sendInput(data);
  }

  /** Send keystrokes to the worker; only the driving viewer types. Large pastes go in protocol-sized pieces. */
  sendInput(data: string): boolean {
    if (!this.state.driving) return false;
    const socket = getSocket();
    const enc = new TextEncoder();
    if (enc.encode(data).length <= MAX_INPUT_BYTES) {
      socket.emit('worker:input', { name: this.name, data });
      return true;
    }
    const step = Math.floor(MAX_INPUT_BYTES / 4); // a UTF-16 unit is at most 3 UTF-8 bytes
    for (let i = 0; i < data.length; i += step) socket.emit('worker:input', { name: this.name, data: data.slice(i, i + step) });
    return true;
  }

  /** Put the keyboard in this terminal (now, or as soon as it is open). */
  focus(): void {
    if (this.term && this.opened) this.term.focus();
    else this.focusPending = true;
  }

  findNext(query: string): boolean {
    return this.searchAddon?.findNext(query, { incremental: true }) ?? false;
  }

  findPrevious(query: string): boolean {
    return this.searchAddon?.findPrevious(query) ?? false;
  }

  clearSearch(): void {
    this.searchAddon?.clearDecorations();
  }

  /** The terminal's text (scrollback and screen, wrapped lines joined, trailing blanks trimmed): for tests and copy. */
  text(): string {
    const buf = this.term?.buffer.active;
    if (!buf) return '';
    const lines: string[] = [];
    for (let i = 0; i < buf.length; i++) {
      const line = buf.getLine(i);
      const text = line?.translateToString(true) ?? '';
      // A line the terminal wrapped continues the previous one: join them back into what was printed.
      if (line?.isWrapped && lines.length) lines[lines.length - 1] += text;
      else lines.push(text);
    }
    while (lines.length && lines[lines.length - 1] === '') lines.pop();
    return lines.join('\n');
  }
}
