import type { RelayClient } from '../lib/sdk';
import { MeasureError } from './context';
import { msSince } from './stats';

/**
 * Sequential ping-pongs from `a` to 'bench-b' (which must echo bodies starting with `p` back to
 * 'bench-a'): one round-trip time each, in ms. A pong missing for 10 s is a MeasureError.
 */
export async function pingPong(a: RelayClient, count: number, label: string): Promise<number[]> {
  let pongWaiter: ((body: string) => void) | undefined;
  a.onMessage((m) => pongWaiter?.(m.body));
  const rtts: number[] = [];
  for (let i = 0; i < count; i++) {
    const body = `p${i}`;
    const start = process.hrtime.bigint();
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new MeasureError(`${label}: ping ${i} got no pong within 10 s`)), 10_000);
      pongWaiter = (got) => {
        if (got !== body) return;
        clearTimeout(t);
        resolve();
      };
      a.send('bench-b', body);
    });
    rtts.push(msSince(start));
  }
  pongWaiter = undefined;
  return rtts;
}

export interface FloodOptions {
  /** Messages to send from `a` to `b` (bodies `o0`, `o1`, …). */
  count: number;
  /** At most this many sent and not yet received. */
  window: number;
  /** Names the section in a stall error. */
  label: string;
  /** A window that does not move for this long is a stall (MeasureError). */
  stallMs: number;
  /** After the last send, how long to wait for the rest. */
  drainMs: number;
  /** Also part of the time: resolves once what was delivered is persisted and settled (the cluster's stream drained). */
  settled?: () => Promise<void>;
}

/**
 * A one-way flood from `a` to `b` (`b` named 'bench-b') with a bounded window, every message
 * counted by its body: what arrived, what arrived twice, and how long it took (route and cluster).
 */
export async function floodOneWay(a: RelayClient, b: RelayClient, o: FloodOptions): Promise<{ received: number; duplicates: number; seconds: number }> {
  const seen = new Uint8Array(o.count);
  let received = 0;
  let duplicates = 0;
  let wake: (() => void) | undefined;
  b.onMessage((m) => {
    if (m.body.charCodeAt(0) !== 111 /* 'o' */) return;
    const i = Number(m.body.slice(1));
    if (seen[i]) duplicates++;
    else {
      seen[i] = 1;
      received++;
    }
    wake?.();
  });
  const start = process.hrtime.bigint();
  for (let sent = 0; sent < o.count; sent++) {
    while (sent - received >= o.window) {
      const progressed = await new Promise<boolean>((resolve) => {
        const t = setTimeout(() => resolve(false), o.stallMs);
        wake = () => {
          clearTimeout(t);
          resolve(true);
        };
      });
      if (!progressed) throw new MeasureError(`${o.label}: stalled with ${sent - received} in flight after ${received} received`);
    }
    a.send('bench-b', `o${sent}`);
  }
  const deadline = Date.now() + o.drainMs;
  while (received < o.count && Date.now() < deadline) {
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, 1000);
      wake = () => {
        clearTimeout(t);
        resolve();
      };
    });
  }
  if (o.settled && received === o.count) await o.settled();
  return { received, duplicates, seconds: msSince(start) / 1000 };
}
