import { Worker } from 'node:worker_threads';
import { logger } from '../logger';
import type { ScreenText } from '../agents/types';
import type { RelayCommand } from '../relay-commands/grammar.mjs';
import type { ScreenSnapshot } from './types';

/** Lines of history kept in the headless terminal (and so in a snapshot). */
const SCROLLBACK_LINES = 1000;
/**
 * Flow control between the PTY and the headless parser: xterm parses asynchronously, so if output
 * arrives faster than it parses, bytes queue in its write buffer. Above HIGH_WATER unparsed bytes
 * the worker pauses its PTY; below LOW_WATER it resumes. The PTY buffer then holds the child back.
 */
export const SCREEN_HIGH_WATER = 4 * 1024 * 1024;
export const SCREEN_LOW_WATER = 512 * 1024;
/**
 * Output goes to the thread in batches of this many bytes, or after SCREEN_BATCH_MS: a PTY read is
 * ~4 KiB, and one postMessage (plus one xterm write and one 'parsed' reply) per read cost more on
 * both threads than the bytes themselves (docs/performance.md). A snapshot or resize sends what is
 * pending first, so the delay never shows in a snapshot.
 */
const SCREEN_BATCH_BYTES = 64 * 1024;
const SCREEN_BATCH_MS = 8;

/**
 * Why a thread: xterm parses in slices of up to ~12 ms on whatever thread it runs. On the main
 * thread those slices kept the event loop from reading the PTY, whose kernel buffer (a few KiB)
 * then filled and blocked the agent: a flood ran at half the raw node-pty rate with the server
 * mostly idle. Parsed on one shared worker thread, the main thread only reads, forwards and
 * streams (docs/performance.md has the figures).
 */
interface ThreadReply {
  op: 'parsed' | 'snapshot' | 'text' | 'commands' | 'flushed';
  text?: ScreenText | null;
  commands?: RelayCommand[];
  id: number;
  parsed?: number;
  req?: number;
  data?: string;
  offset?: number;
  cols?: number;
  rows?: number;
}

let thread: Worker | undefined;
const live = new Map<number, HeadlessScreen>();
let nextId = 1;
/** Requests waiting for the thread's answer: while there are any, the thread keeps the process alive. */
let waiting = 0;

/** Wraps a request's resolve so the process does not exit before the thread has answered it. */
function held<T>(resolve: (value: T) => void): (value: T) => void {
  if (waiting++ === 0) thread?.ref();
  let done = false;
  return (value) => {
    if (!done && --waiting === 0) thread?.unref();
    done = true;
    resolve(value);
  };
}

function screenThread(): Worker {
  if (thread) return thread;
  const worker = new Worker(new URL('./screen-thread.mjs', import.meta.url));
  worker.on('message', (msg: ThreadReply) => live.get(msg.id)?.onReply(msg));
  worker.on('error', (err) => logger.error({ err }, 'screen thread failed; screens restart empty'));
  worker.on('exit', () => {
    if (thread === worker) thread = undefined;
    for (const screen of live.values()) screen.onThreadLost();
  });
  // Never keeps the process alive on its own (`agent-relay run` exits with its command). After the
  // listeners: adding a 'message' listener refs the worker again.
  worker.unref();
  thread = worker;
  return worker;
}

export interface HeadlessScreenOptions {
  /** Output is parsed more slowly than it arrives (true) or has caught up again (false). */
  onBacklog?: (over: boolean) => void;
  /** Offset of the first byte written (a screen rebuilt from the tail of a log). */
  startOffset?: number;
  /**
   * Relay commands the agent printed, read from what this screen shows (docs/workers.md, "Agents
   * speaking through their terminal"), in the order they were found. Without it nothing is read.
   */
  onCommands?: (commands: RelayCommand[]) => void;
}

/**
 * The worker's current screen. `parsed` counts the bytes xterm has actually parsed (reported from
 * its write callbacks), so a snapshot's offset is exactly where live output must continue.
 */
export class HeadlessScreen {
  private readonly id = nextId++;
  private readonly thread = screenThread();
  private received = 0;
  private parsed = 0;
  private disposed = false;
  private paused = false;
  private cols: number;
  private rows: number;
  /** Chunks gathered for one message to the thread (see SCREEN_BATCH_BYTES). */
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private scheduled: NodeJS.Timeout | undefined;
  private snapshots = new Map<number, (s: ScreenSnapshot) => void>();
  private texts = new Map<number, (t: ScreenText | undefined) => void>();
  private flushes = new Map<number, () => void>();
  private nextReq = 1;
  private readonly onBacklog?: (over: boolean) => void;
  private readonly onCommands?: (commands: RelayCommand[]) => void;

  constructor(cols: number, rows: number, options: HeadlessScreenOptions = {}) {
    const startOffset = options.startOffset ?? 0;
    this.cols = cols;
    this.rows = rows;
    this.received = startOffset;
    this.parsed = startOffset;
    this.onBacklog = options.onBacklog;
    this.onCommands = options.onCommands;
    live.set(this.id, this);
    this.thread.postMessage({
      op: 'open', id: this.id, cols, rows, scrollback: SCROLLBACK_LINES, offset: startOffset, detect: Boolean(options.onCommands),
    });
  }

  write(chunk: Buffer): void {
    if (this.disposed) return;
    this.received += chunk.length;
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    if (this.pendingBytes >= SCREEN_BATCH_BYTES) this.post();
    else this.scheduled ??= setTimeout(() => this.post(), SCREEN_BATCH_MS);
    if (!this.paused && this.onBacklog && this.received - this.parsed > SCREEN_HIGH_WATER) {
      this.paused = true;
      this.onBacklog(true);
    }
  }

  get backlog(): number {
    return this.received - this.parsed;
  }

  resize(cols: number, rows: number): void {
    if (this.disposed) return;
    this.post();
    this.cols = cols;
    this.rows = rows;
    this.thread.postMessage({ op: 'resize', id: this.id, cols, rows });
  }

  /** Waits until everything written so far is parsed, then serializes at exactly that offset. */
  snapshot(): Promise<ScreenSnapshot> {
    if (this.disposed) return Promise.resolve({ data: '', offset: this.parsed, cols: this.cols, rows: this.rows });
    this.post();
    const req = this.nextReq++;
    return new Promise((resolve) => {
      this.snapshots.set(req, held(resolve));
      this.thread.postMessage({ op: 'snapshot', id: this.id, req });
    });
  }

  /**
   * The rendered screen as plain text (visible rows, cursor, alternate buffer, bracketed paste) once
   * everything written so far is parsed: what agent profiles recognise prompts and dialogs on.
   * A few rows of text, so cheap enough after every burst of output. Undefined once disposed.
   */
  readText(): Promise<ScreenText | undefined> {
    if (this.disposed) return Promise.resolve(undefined);
    this.post();
    const req = this.nextReq++;
    return new Promise((resolve) => {
      this.texts.set(req, held(resolve));
      this.thread.postMessage({ op: 'text', id: this.id, req });
    });
  }

  /**
   * Once everything written so far is parsed, acts on every complete command line at once instead
   * of after it settled (the program exited: nothing will change its screen). Resolves after the
   * last such command was delivered to `onCommands`.
   */
  flushCommands(): Promise<void> {
    if (this.disposed || !this.onCommands) return Promise.resolve();
    this.post();
    const req = this.nextReq++;
    return new Promise((resolve) => {
      this.flushes.set(req, held(resolve));
      this.thread.postMessage({ op: 'flush', id: this.id, req });
    });
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (this.scheduled) clearTimeout(this.scheduled);
    this.pending = [];
    live.delete(this.id);
    this.thread.postMessage({ op: 'dispose', id: this.id });
    for (const resolve of this.snapshots.values()) resolve({ data: '', offset: this.parsed, cols: this.cols, rows: this.rows });
    this.snapshots.clear();
    for (const resolve of this.texts.values()) resolve(undefined);
    this.texts.clear();
    this.settleFlushes();
  }

  private settleFlushes(): void {
    for (const resolve of this.flushes.values()) resolve();
    this.flushes.clear();
  }

  /** @internal replies from the screen thread */
  onReply(msg: ThreadReply): void {
    if (msg.op === 'parsed') {
      this.parsed = msg.parsed!;
      if (this.paused && this.received - this.parsed < SCREEN_LOW_WATER) {
        this.paused = false;
        this.onBacklog?.(false);
      }
      return;
    }
    if (msg.op === 'commands') {
      if (!this.disposed) this.onCommands?.(msg.commands!);
      return;
    }
    if (msg.op === 'flushed') {
      const resolveFlush = this.flushes.get(msg.req!);
      this.flushes.delete(msg.req!);
      resolveFlush?.();
      return;
    }
    if (msg.op === 'text') {
      const resolveText = this.texts.get(msg.req!);
      this.texts.delete(msg.req!);
      resolveText?.(msg.text ?? undefined);
      return;
    }
    const resolve = this.snapshots.get(msg.req!);
    if (!resolve) return;
    this.snapshots.delete(msg.req!);
    resolve({ data: msg.data!, offset: msg.offset!, cols: msg.cols!, rows: msg.rows! });
  }

  /** @internal the thread died: answer waiting snapshots with what is known and stop pausing the PTY. */
  onThreadLost(): void {
    for (const resolve of this.snapshots.values()) resolve({ data: '', offset: this.parsed, cols: this.cols, rows: this.rows });
    this.snapshots.clear();
    for (const resolve of this.texts.values()) resolve(undefined);
    this.texts.clear();
    this.settleFlushes();
    if (this.paused) {
      this.paused = false;
      this.onBacklog?.(false);
    }
  }

  private post(): void {
    if (this.scheduled) {
      clearTimeout(this.scheduled);
      this.scheduled = undefined;
    }
    if (this.pendingBytes === 0 || this.disposed) return;
    // One copy into a buffer of our own (the chunks are shared with the ring and the viewers), whose
    // memory is then moved to the thread rather than cloned again.
    const data = Buffer.allocUnsafeSlow(this.pendingBytes);
    let at = 0;
    for (const chunk of this.pending) at += chunk.copy(data, at);
    this.pending = [];
    this.pendingBytes = 0;
    const buffer = data.buffer as ArrayBuffer;
    this.thread.postMessage({ op: 'write', id: this.id, data: buffer }, [buffer]);
  }
}
