import type { Envelope, InjectionState, InjectionWaitCode, SendPayload } from '../../lib/protocol';

/**
 * Types text into an agent's terminal as if a person did, without trampling one: each item waits
 * until the terminal's readiness check says nothing is in the way (a person typing, a dialog, text
 * left at the prompt, output still arriving), is written, then Enter about 50 ms later. One at a
 * time, in order, so two messages never interleave. Shared by SpawnManager workers and
 * `agent-relay run`.
 *
 * Waits are never silent: the queue reports its state (mode, how many wait, why the first one
 * waits) through `onState`, which workers publish in WorkerInfo. A person can hold deliveries while
 * they steer (`setMode('hold')`), release what is held (`flush()`), or go back to `auto`.
 */

/** What keeps the terminal from being typed into right now. */
export interface InjectionBlock {
  code: InjectionWaitCode;
  /** A sentence for the person looking at the worker (what waits, and what would end the wait). */
  reason: string;
  /**
   * A soft block (the output is still moving; nothing printed yet) gives way after the item's
   * bounded wait, so a plain program that never goes quiet still gets its messages. Hard blocks
   * (a person typing, a dialog, unsent text, the agent not at its prompt) never time out.
   */
  soft?: boolean;
}

export interface ReadinessQuery {
  /** True once the item has waited past its soft bound: soft conditions no longer count. */
  softExpired: boolean;
}

/** The pluggable readiness hook: undefined means "type now". May read the screen (async). */
export type ReadinessCheck = (query: ReadinessQuery) => InjectionBlock | undefined | Promise<InjectionBlock | undefined>;

export interface InjectionQueueOptions {
  write(data: string): void;
  readiness: ReadinessCheck;
  /** Longest wait for soft blocks (output quiet) before typing anyway. */
  maxWaitMs?: number;
  /** Delay between the text and its Enter: TUIs treat a fast `\r` as part of a paste. */
  enterDelayMs?: number;
  /** How the text goes in (an agent profile wraps it in bracketed paste); Enter is written apart. */
  formatText?(text: string): string;
  pollMs?: number;
  /** A wait is reported only once it has lasted this long (a normal short wait is not news). */
  reportAfterMs?: number;
  /** Called whenever the reported state changes (never for every poll). */
  onState?(state: InjectionState): void;
  /**
   * After the Enter: did the agent take the input? `'sent'` (its prompt is empty again), `'unsent'`
   * (the text still sits at the prompt: the Enter was lost, e.g. a loaded TUI read it with the
   * paste), or `'unknown'` (a person typed since `since`, or the screen cannot tell: never press
   * Enter on someone else's line). Absent for plain programs: the Enter is trusted.
   * Also asked before the Enter: while it says 'sent' (the prompt still reads empty) the CLI has not
   * drawn the text yet, and the Enter waits for that (at most `submitCheckMs`).
   */
  submitted?(since: number): Promise<SubmitCheck>;
  /** How long to wait for `submitted` to say 'sent' before pressing Enter again (at most `submitRetries` times). */
  submitCheckMs?: number;
  submitRetries?: number;
  /** The Enter was pressed again and again and the text is still at the prompt: tell a person. */
  onSubmitStuck?(stuck: boolean): void;
}

export type SubmitCheck = 'sent' | 'unsent' | 'unknown';

export interface EnqueueOptions {
  /** This item's soft bound instead of `maxWaitMs` (the task waits longer for a CLI to start). */
  maxWaitMs?: number;
}

export interface InjectionQueue {
  /** Resolves once the Enter after `text` has been written (the ACK point); rejects if closed first. */
  enqueue(text: string, options?: EnqueueOptions): Promise<void>;
  readonly pending: number;
  state(): InjectionState;
  /** `hold` stops deliveries (they stay queued, in order); `auto` delivers as usual. */
  setMode(mode: InjectionState['mode']): void;
  /** Delivers everything queued now, in order, each when the terminal is ready, even while held. Returns how many. */
  flush(): number;
  /** Rejects everything still queued (the terminal is gone). */
  close(reason?: string): void;
}

export const INJECTION_DEFAULTS = { maxWaitMs: 3000, enterDelayMs: 50, pollMs: 50, reportAfterMs: 1000, submitCheckMs: 2000, submitRetries: 2 } as const;

interface Item {
  text: string;
  maxWaitMs: number;
  /** Flushed: delivered even while the queue holds. */
  released: boolean;
  resolve(): void;
  reject(err: Error): void;
}

export function createInjectionQueue(options: InjectionQueueOptions): InjectionQueue {
  const maxWaitMs = options.maxWaitMs ?? INJECTION_DEFAULTS.maxWaitMs;
  const enterDelayMs = options.enterDelayMs ?? INJECTION_DEFAULTS.enterDelayMs;
  const pollMs = options.pollMs ?? INJECTION_DEFAULTS.pollMs;
  const reportAfterMs = options.reportAfterMs ?? INJECTION_DEFAULTS.reportAfterMs;
  const items: Item[] = [];
  let mode: InjectionState['mode'] = 'auto';
  let running = false;
  let closed: string | undefined;
  /** The head's current wait: when it began and what blocks it now (reported after reportAfterMs). */
  let waiting: { since: number; block: InjectionBlock; reported: boolean } | undefined;
  let lastReported = '';
  let wake: (() => void) | undefined;

  const sleep = (ms: number) =>
    new Promise<void>((r) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        if (wake === done) wake = undefined;
        r();
      }
      wake = done;
    });
  const kick = () => wake?.();

  const state = (): InjectionState => {
    const held = mode === 'hold' ? items.filter((i) => !i.released).length : 0;
    const s: InjectionState = { mode, pending: items.length, held };
    if (waiting?.reported) s.waiting = { code: waiting.block.code, reason: waiting.block.reason, since: waiting.since };
    return s;
  };
  const report = () => {
    const s = state();
    // `since` and the sentence do not make a change on their own: one event per real change.
    const key = `${s.mode}|${s.pending}|${s.held}|${s.waiting?.code ?? ''}`;
    if (key === lastReported) return;
    lastReported = key;
    options.onState?.(s);
  };

  const blockOf = async (item: Item, startedAt: number): Promise<InjectionBlock | undefined> => {
    if (mode === 'hold' && !item.released) {
      return { code: 'held', reason: 'Deliveries are held; flush them or switch back to auto to deliver.' };
    }
    const softExpired = Date.now() - startedAt >= item.maxWaitMs;
    const block = await options.readiness({ softExpired });
    if (block?.soft && softExpired) return undefined;
    return block;
  };

  const run = async (): Promise<void> => {
    running = true;
    try {
      while (items.length > 0 && closed === undefined) {
        const item = items[0];
        const startedAt = Date.now();
        for (;;) {
          let block: InjectionBlock | undefined;
          try {
            block = await blockOf(item, startedAt);
          } catch (err) {
            // A readiness check that fails must not wedge the queue forever: report it and retry.
            block = { code: 'busy', reason: `Readiness check failed (${(err as Error).message}); retrying.` };
          }
          if (closed !== undefined || block === undefined) break;
          if (!waiting || waiting.block.code !== block.code) waiting = { since: waiting?.since ?? startedAt, block, reported: waiting?.reported ?? false };
          // Held is a person's choice, shown at once; other waits once they last.
          if (!waiting.reported && (block.code === 'held' || Date.now() - waiting.since >= reportAfterMs)) waiting.reported = true;
          report();
          // Held: nothing to poll until a mode change or a flush kicks us (the poll is a backstop).
          await sleep(block.code === 'held' ? 1000 : pollMs);
          if (closed !== undefined) break;
        }
        if (closed !== undefined) break;
        waiting = undefined;
        try {
          const writtenAt = Date.now();
          options.write(options.formatText ? options.formatText(item.text) : item.text);
          // Not wakeable: a mode change or flush must not shorten the gap before Enter.
          await new Promise((r) => setTimeout(r, enterDelayMs));
          if (closed !== undefined) break;
          if (options.submitted) await awaitDrawn(writtenAt);
          if (closed !== undefined) break;
          const typedAt = Date.now();
          options.write('\r');
          if (options.submitted) await confirmSubmitted(typedAt);
          items.shift();
          item.resolve();
        } catch (err) {
          items.shift();
          item.reject(err instanceof Error ? err : new Error(String(err)));
        }
        report();
      }
    } finally {
      running = false;
    }
    if (closed !== undefined) rejectAll();
  };

  /**
   * Before the Enter: waits (bounded) while the prompt still reads empty, i.e. the CLI has not drawn
   * our text yet. On a loaded machine a TUI can take longer than the Enter delay to render a paste;
   * an Enter it reads first is lost (Gemini CLI's paste protection lasts until that render), and the
   * check after it would see the still-empty prompt and call it sent. 'unsent' (drawn) or 'unknown'
   * (cannot tell) go ahead at once.
   */
  const awaitDrawn = async (since: number): Promise<void> => {
    const deadline = Date.now() + (options.submitCheckMs ?? INJECTION_DEFAULTS.submitCheckMs);
    while (closed === undefined && Date.now() < deadline) {
      let seen: SubmitCheck;
      try {
        seen = await options.submitted!(since);
      } catch {
        return;
      }
      if (seen !== 'sent') return;
      await new Promise((r) => setTimeout(r, pollMs));
    }
  };

  /**
   * Waits until the agent took the input, pressing Enter again (bounded) when the text is still at
   * its prompt. The ACK follows either way: the text was typed, and a person is told if it sticks.
   */
  const confirmSubmitted = async (since: number): Promise<void> => {
    const checkMs = options.submitCheckMs ?? INJECTION_DEFAULTS.submitCheckMs;
    const retries = options.submitRetries ?? INJECTION_DEFAULTS.submitRetries;
    for (let attempt = 0; ; attempt++) {
      const deadline = Date.now() + checkMs;
      let last: SubmitCheck = 'unknown';
      while (closed === undefined) {
        try {
          last = await options.submitted!(since);
        } catch {
          last = 'unknown';
        }
        if (last !== 'unsent' || Date.now() >= deadline) break;
        await new Promise((r) => setTimeout(r, pollMs));
      }
      if (closed !== undefined || last !== 'unsent') {
        if (last === 'sent') options.onSubmitStuck?.(false);
        return;
      }
      if (attempt >= retries) {
        options.onSubmitStuck?.(true);
        return;
      }
      options.write('\r');
    }
  };

  const rejectAll = () => {
    waiting = undefined;
    for (const item of items.splice(0)) item.reject(new Error(closed));
    report();
  };

  return {
    enqueue(text, opts = {}) {
      if (closed !== undefined) return Promise.reject(new Error(closed));
      return new Promise<void>((resolve, reject) => {
        items.push({ text, maxWaitMs: opts.maxWaitMs ?? maxWaitMs, released: false, resolve, reject });
        report();
        if (!running) void run();
      });
    },
    get pending() {
      return items.length;
    },
    state,
    setMode(next) {
      if (next === mode) return;
      mode = next;
      // Flushes belong to one hold: holding again later holds everything queued.
      if (next === 'auto') for (const item of items) item.released = false;
      report();
      kick();
    },
    flush() {
      // In auto nothing is held: everything queued already goes as soon as the terminal is ready.
      if (mode !== 'hold') return 0;
      const count = items.filter((i) => !i.released).length;
      for (const item of items) item.released = true;
      report();
      kick();
      return count;
    },
    close(reason = 'The terminal closed before the input could be typed.') {
      if (closed !== undefined) return;
      closed = reason;
      kick();
      if (!running) rejectAll();
    },
  };
}

/** `Relay message from <From> [<first 8 of id>] [thread:<t>]: <body>`, newlines as spaces. */
export function formatInjectedMessage(envelope: Envelope<SendPayload>): string {
  const from = envelope.from ?? 'unknown';
  const thread = envelope.payload.thread ? ` [thread:${envelope.payload.thread}]` : '';
  const body = envelope.payload.body.replace(/\r\n|\r|\n/g, ' ');
  return `Relay message from ${from} [${envelope.id.slice(0, 8)}]${thread}: ${body}`;
}
