import { createConnection } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { FrameParser, encodeFrame } from '../../lib/protocol';
import { RECENT_USER_CAP } from '../../server/router';
import { RawClient, env, sleep, startTestDaemon, type TestDaemon } from './helpers';

let d: TestDaemon | undefined;
afterEach(async () => {
  await d?.stop();
  d = undefined;
});

function heapUsed(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().heapUsed;
}

/** One CLI-style helper: HELLO as a user, maybe SEND, wait for WELCOME (and the send's effect), close. */
function cliRound(socketPath: string, name: string, sendTo?: string, body?: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(socketPath);
    const parser = new FrameParser();
    socket.on('error', reject);
    socket.on('connect', () => {
      const frames = [encodeFrame(env('HELLO', { agent: name, entityType: 'user' }))];
      if (sendTo) frames.push(encodeFrame(env('SEND', { kind: 'message', body }, { to: sendTo })), encodeFrame(env('STATUS')));
      socket.write(Buffer.concat(frames));
    });
    socket.on('data', (chunk) => {
      for (const f of parser.push(chunk)) {
        // STATUS is answered after the SEND was routed: its answer means the SEND was handled.
        if ((f.type === 'WELCOME' && !sendTo) || f.type === 'STATUS_RESPONSE') {
          socket.destroy();
          resolve();
        }
      }
    });
  });
}

describe('boundedness', () => {
  it('stays bounded over 10,000 short CLI-style user connections', { timeout: 180_000 }, async () => {
    d = await startTestDaemon({ router: { redeliveryMs: 60_000 } });
    const sink = await RawClient.hello(d.socketPath, 'Sink');
    let acked = 0;
    sink.socket.on('data', () => {
      for (const f of sink.of('DELIVER').slice(acked)) {
        sink.send(env('ACK', { ack_id: f.id, seq: (f.delivery as { seq: number }).seq }));
        acked++;
      }
    });
    const total = 10_000;
    const parallel = 16;
    let sent = 0;
    let next = 0;
    let baseline = 0;
    let maxRecent = 0;
    const worker = async () => {
      while (next < total) {
        const i = next++;
        // Mostly the CLI's own name, some distinct helper names so the recent-users table has to evict.
        const name = i % 4 === 0 ? `__cli_${i}` : '__cli_sender__';
        const sends = i % 3 === 0;
        if (sends) sent++;
        await cliRound(d!.socketPath, name, sends ? 'Sink' : undefined, `m${i}`);
        maxRecent = Math.max(maxRecent, d!.router.recentlyDisconnectedCount);
        if (i === 1000) baseline = heapUsed();
      }
    };
    await Promise.all(Array.from({ length: parallel }, worker));
    await sink.waitForCount('DELIVER', sent, 30_000);
    await sleep(200);
    expect(sink.of('DELIVER')).toHaveLength(sent);
    expect(maxRecent).toBeLessThanOrEqual(RECENT_USER_CAP);
    expect(d.router.recentlyDisconnectedCount).toBeLessThanOrEqual(RECENT_USER_CAP);
    expect(d.router.endpointCount).toBe(1);
    expect(d.daemon.connectionCount).toBe(1);
    expect(d.router.inflightCount).toBe(0);
    expect(d.router.pendingSyncCount).toBe(0);
    const growth = heapUsed() - baseline;
    expect(growth).toBeLessThan(50 * 1024 * 1024);
    sink.close();
  });

  it('sweeps the recently-disconnected table by its timer even with no further connections', async () => {
    d = await startTestDaemon({ router: { recentUserTtlMs: 100, sweepIntervalMs: 50 } });
    for (let i = 0; i < 5; i++) await cliRound(d.socketPath, `__cli_${i}`);
    await sleep(20);
    expect(d.router.recentlyDisconnectedCount).toBeGreaterThan(0);
    await sleep(400);
    expect(d.router.recentlyDisconnectedCount).toBe(0);
  });
});
