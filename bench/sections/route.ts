import { join } from 'node:path';
import { RelayClient } from '../../lib/sdk';
import type { BenchContext, SectionResult } from '../context';
import { floodOneWay, pingPong } from '../flood';
import { rawRoute } from '../raw';
import { percentile, round } from '../stats';

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
    const rtts = await pingPong(a, pings, 'route');

    // One-way: at most `window` sent and not yet received.
    const { received, duplicates, seconds } = await floodOneWay(a, b, { count: oneWay, window, label: 'route', stallMs: 10_000, drainMs: 15_000 });
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
