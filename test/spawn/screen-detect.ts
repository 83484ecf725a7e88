import xtermHeadless from '@xterm/headless';
import { readFileSync } from 'node:fs';
import type { RelayCommand } from '../../server/relay-commands/grammar.mjs';
import { createScreenDetector } from '../../server/relay-commands/screen-detector.mjs';

/**
 * Test driver for the screen detector: a real headless xterm in this process (no thread), a clock
 * the test moves, and helpers to feed output, resize and finish.
 */
export interface DetectorRun {
  write(data: string | Buffer): Promise<void>;
  resize(cols: number, rows: number): Promise<void>;
  /** Reads the screen now (as the settle timer would). */
  scan(): Promise<void>;
  /** Acts on every complete line without waiting for it to settle, then returns all commands. */
  finish(): Promise<RelayCommand[]>;
  commands: RelayCommand[];
  clock: { now: number };
  term: InstanceType<typeof xtermHeadless.Terminal>;
}

export function startDetector(options: { cols?: number; rows?: number; settleMs?: number; openBlockMs?: number; scrollback?: number } = {}): DetectorRun {
  const term = new xtermHeadless.Terminal({
    cols: options.cols ?? 80, rows: options.rows ?? 24, scrollback: options.scrollback ?? 1000, allowProposedApi: true,
  });
  const clock = { now: 0 };
  const commands: RelayCommand[] = [];
  const detector = createScreenDetector(term, {
    onCommands: (found) => commands.push(...found),
    now: () => clock.now,
    settleMs: options.settleMs ?? 300,
    openBlockMs: options.openBlockMs,
  });
  const done = (fn: (cb: () => void) => void) => new Promise<void>((resolve) => fn(resolve));
  return {
    term,
    clock,
    commands,
    write: (data) => done((cb) => detector.write(typeof data === 'string' ? data : new Uint8Array(data), cb)),
    resize: (cols, rows) => done((cb) => detector.resize(cols, rows, cb)),
    // An empty write runs its callback after everything queued; flush's pass reads the screen.
    scan: () => done((cb) => detector.write('', cb)),
    finish: async () => {
      await done((cb) => detector.flush(cb));
      detector.dispose();
      term.dispose();
      return commands;
    },
  };
}

/** Feeds chunks without waiting between them (they queue in xterm as a PTY's reads would). */
export async function detectAll(chunks: Array<string | Buffer>, options: Parameters<typeof startDetector>[0] = {}): Promise<RelayCommand[]> {
  const run = startDetector(options);
  for (const chunk of chunks) void run.write(chunk);
  return run.finish();
}

/** A recorded terminal session: output chunks with their times, resizes, typed input. */
export interface Recording {
  meta: { cli: string; cols: number; rows: number; steps: unknown[] };
  events: Array<{ t: number; data?: Buffer; resize?: [number, number]; input?: string }>;
}

export function loadRecording(path: string): Recording {
  const [head, ...rest] = readFileSync(path, 'utf8').trim().split('\n').map((line) => JSON.parse(line));
  return {
    meta: head.meta,
    events: rest.map((e) => ({ t: e.t, ...(e.d ? { data: Buffer.from(e.d, 'base64') } : {}), ...(e.resize ? { resize: e.resize } : {}), ...(e.input ? { input: e.input } : {}) })),
  };
}

/** Replays a recording with its own clock: each chunk is written at the time it was read. */
export async function replay(recording: Recording, options: { settleMs?: number; openBlockMs?: number } = {}) {
  const run = startDetector({ cols: recording.meta.cols, rows: recording.meta.rows, ...options });
  const found: Array<{ t: number; command: RelayCommand }> = [];
  let seen = 0;
  const collect = () => {
    for (; seen < run.commands.length; seen++) found.push({ t: run.clock.now, command: run.commands[seen] });
  };
  for (const event of recording.events) {
    run.clock.now = event.t;
    if (event.resize) await run.resize(event.resize[0], event.resize[1]);
    else if (event.data) await run.write(event.data);
    collect();
  }
  await run.finish();
  collect();
  return found;
}

/** The same session with its reads cut differently: each chunk split in two, or chunks merged into 64 KiB batches. */
export function resplit(recording: Recording, how: 'halves' | 'batches'): Recording {
  const events: Recording['events'] = [];
  for (const event of recording.events) {
    if (!event.data) {
      events.push(event);
      continue;
    }
    if (how === 'halves' && event.data.length > 1) {
      const mid = Math.floor(event.data.length / 2);
      events.push({ t: event.t, data: event.data.subarray(0, mid) }, { t: event.t, data: event.data.subarray(mid) });
      continue;
    }
    const last = events[events.length - 1];
    if (how === 'batches' && last?.data && last.data.length + event.data.length <= 64 * 1024 && event.t - last.t < 8) {
      events[events.length - 1] = { t: event.t, data: Buffer.concat([last.data, event.data]) };
      continue;
    }
    events.push(event);
  }
  return { meta: recording.meta, events };
}
