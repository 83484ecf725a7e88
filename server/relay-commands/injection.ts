import type { Envelope, SendPayload } from '../../lib/protocol';

/**
 * Types text into an agent's terminal as if a person did: wait until the agent has been quiet for a
 * moment (bounded), write the text, then Enter about 50 ms later. One injection at a time, in
 * order, so two messages never interleave. Shared by SpawnManager workers and `agent-relay run`.
 */

export interface InjectionQueueOptions {
  write(data: string): void;
  /** True when the terminal has been quiet long enough to type into it. */
  isQuiet(): boolean;
  /** Longest wait for quiet before typing anyway. */
  maxWaitMs?: number;
  /** Delay between the text and its Enter: TUIs treat a fast `\r` as part of a paste. */
  enterDelayMs?: number;
  pollMs?: number;
}

export interface InjectionQueue {
  /** Resolves once the Enter after `text` has been written (the ACK point); rejects if closed first. */
  enqueue(text: string): Promise<void>;
  readonly pending: number;
  /** Rejects everything still queued (the terminal is gone). */
  close(reason?: string): void;
}

export const INJECTION_DEFAULTS = { maxWaitMs: 3000, enterDelayMs: 50, pollMs: 50 } as const;

export function createInjectionQueue(options: InjectionQueueOptions): InjectionQueue {
  const maxWaitMs = options.maxWaitMs ?? INJECTION_DEFAULTS.maxWaitMs;
  const enterDelayMs = options.enterDelayMs ?? INJECTION_DEFAULTS.enterDelayMs;
  const pollMs = options.pollMs ?? INJECTION_DEFAULTS.pollMs;
  const items: Array<{ text: string; resolve(): void; reject(err: Error): void }> = [];
  let running = false;
  let closed: string | undefined;

  const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

  const run = async (): Promise<void> => {
    running = true;
    try {
      while (items.length > 0 && closed === undefined) {
        const item = items[0];
        const deadline = Date.now() + maxWaitMs;
        while (!options.isQuiet() && Date.now() < deadline && closed === undefined) await sleep(pollMs);
        if (closed !== undefined) break;
        try {
          options.write(item.text);
          await sleep(enterDelayMs);
          if (closed !== undefined) break;
          options.write('\r');
          items.shift();
          item.resolve();
        } catch (err) {
          items.shift();
          item.reject(err instanceof Error ? err : new Error(String(err)));
        }
      }
    } finally {
      running = false;
    }
    if (closed !== undefined) for (const item of items.splice(0)) item.reject(new Error(closed));
  };

  return {
    enqueue(text) {
      if (closed !== undefined) return Promise.reject(new Error(closed));
      return new Promise<void>((resolve, reject) => {
        items.push({ text, resolve, reject });
        if (!running) void run();
      });
    },
    get pending() {
      return items.length;
    },
    close(reason = 'The terminal closed before the input could be typed.') {
      if (closed !== undefined) return;
      closed = reason;
      if (!running) for (const item of items.splice(0)) item.reject(new Error(closed));
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
