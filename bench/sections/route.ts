import { join } from 'node:path';
import { RelayClient } from '../../lib/sdk';
import { MeasureError, type BenchContext, type SectionResult } from '../context';
import { rawRoute } from '../raw';
import { msSince, percentile, round } from '../stats';

/**
 * Two RelayClients over the daemon's Unix socket (SQLite on): sequential ping-pongs, then a
 * one-way flood with a bounded window, counting every message by its body.
 */
export async function routeSection(ctx: BenchContext, out: SectionResult): Promise<void> {
  const pings = ctx.args.quick ? 500 : 2000;
  const oneWay = ctx.args.quick ? 5000 : 20_000;
  const window = 256;
  const raw = await rawRoute(join(ctx.root, 'raw-route.sock'), pings);
  out.raw_rtt_p50_ms = round(raw.p50);

  const server = await ctx.server();
  const a = new RelayClient({ name: 'bench-a', socketPath: server.socketPath, reconnect: false });
  const b = new RelayClient({ name: 'bench-b', socketPath: server.socketPath, reconnect: false });
  await a.connect();
  await b.connect();
  try {
    // Ping-pong: b echoes every ping back to a.
    b.onMessage((m) => {
      if (m.body.startsWith('p')) b.send('bench-a', m.body);
    });
    let pongWaiter: ((body: string) => void) | undefined;
    a.onMessage((m) => pongWaiter?.(m.body));
    const rtts: number[] = [];
    for (let i = 0; i < pings; i++) {
      const body = `p${i}`;
      const start = process.hrtime.bigint();
      await withTimeout(
        new Promise<void>((resolve) => {
          pongWaiter = (got) => got === body && resolve();
          a.send('bench-b', body);
        }),
        10_000,
        `route: ping ${i} got no pong within 10 s`,
      );
      rtts.push(msSince(start));
    }
    pongWaiter = undefined;

    // One-way: at most `window` sent and not yet received.
    const seen = new Uint8Array(oneWay);
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
    for (let sent = 0; sent < oneWay; sent++) {
      while (sent - received >= window) {
        const progressed = await new Promise<boolean>((resolve) => {
          const t = setTimeout(() => resolve(false), 10_000);
          wake = () => {
            clearTimeout(t);
            resolve(true);
          };
        });
        if (!progressed) throw new MeasureError(`route: stalled with ${sent - received} in flight after ${received} received`);
      }
      a.send('bench-b', `o${sent}`);
    }
    const deadline = Date.now() + 15_000;
    while (received < oneWay && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 1000);
        wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
    const seconds = msSince(start) / 1000;
    const lost = oneWay - received;
    if (lost > 0) ctx.note(`route: ${lost} of ${oneWay} one-way messages never arrived`);
    Object.assign(out, {
      rtt_p50_ms: round(percentile(rtts, 50)),
      rtt_p99_ms: round(percentile(rtts, 99)),
      msgs_per_s: Math.round(received / seconds),
      lost,
      duplicates,
    });
  } finally {
    await a.disconnect().catch(() => undefined);
    await b.disconnect().catch(() => undefined);
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, why: string): Promise<T> {
  let t: NodeJS.Timeout;
  return Promise.race([p, new Promise<never>((_, rej) => (t = setTimeout(() => rej(new MeasureError(why)), ms)))]).finally(() => clearTimeout(t));
}
