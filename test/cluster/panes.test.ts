import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { io as connect } from 'socket.io-client';
import { describe, expect, it } from 'vitest';
import type { DriverEvent } from '../../lib/realtime/events';
import { createRealtime, type Realtime } from '../../server/realtime';
import { createSecurity } from '../../server/security';
import { ViewRecorder, attach, connected, type Client } from '../realtime/harness';
import { seesNode, type NodeStack } from './stack';
import { until, useTwoNodes } from './two-nodes';

/**
 * Issue 12, item 5: a pane on node A for a worker on node B, through A's own socket.io layer:
 * output streamed from B with contiguous offsets, a snapshot on re-attach, keystrokes back to B;
 * drive/watch held across nodes (a viewer on B watching while A's drives, then taking over).
 */

const TOKEN = 'cluster-pane-token';
let a: NodeStack;
let b: NodeStack;
const servers: Array<{ http: Server; realtime: Realtime; port: number }> = [];
const clients: Client[] = [];

async function dashboardOf(node: NodeStack): Promise<(typeof servers)[number]> {
  const http = createServer();
  let port = 0;
  const security = createSecurity({ token: TOKEN, host: '127.0.0.1', port: () => port });
  const realtime = createRealtime({
    httpServer: http,
    runtime: { router: node.router, spawnManager: node.cluster.workers },
    authorize: security.authorizeSocketHandshake,
    driverAuthority: node.cluster.drivers,
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  port = (http.address() as AddressInfo).port;
  const entry = { http, realtime, port };
  servers.push(entry);
  return entry;
}

async function viewer(port: number): Promise<Client> {
  const socket: Client = connect(`http://127.0.0.1:${port}`, { path: '/socket.io', transports: ['websocket'], forceNew: true, reconnection: false, auth: { token: TOKEN } });
  clients.push(socket);
  await connected(socket);
  return socket;
}

function send(socket: Client, event: 'worker:input' | 'worker:drive', payload: Record<string, unknown>): Promise<{ ok: boolean; error?: { code: string } }> {
  return new Promise((resolve) => (socket.emit as (e: string, p: unknown, cb: (r: unknown) => void) => void)(event, payload, (r) => resolve(r as { ok: boolean; error?: { code: string } })));
}

useTwoNodes({
  ready: async (n) => {
    ({ a, b } = n);
    await seesNode(a, 'B');
  },
  beforeStop: async () => {
    for (const c of clients) c.disconnect();
    for (const s of servers) {
      await s.realtime.close();
      await new Promise<void>((r) => s.http.close(() => r()));
    }
  },
});

describe('remote panes', () => {
  it('streams a worker of B to a viewer on A, takes its keys, re-attaches without a gap or a duplicate; drive/watch holds across nodes', async () => {
    const dashA = await dashboardOf(a);
    const dashB = await dashboardOf(b);
    await a.cluster.workers.spawn({ name: 'pane', cli: 'bash', args: ['--norc', '--noprofile'], node: 'B', cols: 90, rows: 24 });
    await until(() => a.cluster.workers.getWorker('pane'), 'pane on A');

    const vA = await viewer(dashA.port);
    const recA = new ViewRecorder(vA, 'pane');
    const drivenA: DriverEvent[] = [];
    vA.on('worker:driver', (e) => drivenA.push(e));
    const first = await attach(vA, 'pane');
    expect(first).toMatchObject({ ok: true, driver: vA.id, worker: { name: 'pane', node: 'B' } });
    // B learns that a viewer on A drives.
    await until(() => b.cluster.drivers.current('pane') === `A:${vA.id}`, 'B to see A\'s driver');

    const vB = await viewer(dashB.port);
    const recB = new ViewRecorder(vB, 'pane');
    const watched = await attach(vB, 'pane');
    expect(watched).toMatchObject({ ok: true, driver: `A:${vA.id}` });
    expect(await send(vB, 'worker:input', { name: 'pane', data: 'x' })).toMatchObject({ ok: false, error: { code: 'NOT_DRIVER' } });

    expect(await send(vA, 'worker:input', { name: 'pane', data: 'echo $((6*7))\r' })).toMatchObject({ ok: true });
    await until(() => /^42\r?$/m.test(recA.text), '42 in the pane on A');
    await until(() => /^42\r?$/m.test(recB.text), '42 in the pane on B');
    expect(recA.problems).toEqual([]);
    expect(recB.problems).toEqual([]);

    // B's viewer takes over: A's viewer is told and can no longer type.
    expect(await send(vB, 'worker:drive', { name: 'pane' })).toMatchObject({ ok: true });
    await until(() => drivenA.some((e) => e.driver === `B:${vB.id}`), 'A told that B drives');
    expect(await send(vA, 'worker:input', { name: 'pane', data: 'x' })).toMatchObject({ ok: false, error: { code: 'NOT_DRIVER' } });
    expect(await send(vB, 'worker:input', { name: 'pane', data: 'echo from-b-$((1+1))\r' })).toMatchObject({ ok: true });
    await until(() => /^from-b-2\r?$/m.test(recA.text), 'B\'s keys seen on A');

    // A reload on A: re-attach from the last offset, the bytes since then and nothing twice.
    const since = recA.next!;
    vA.disconnect();
    const vA2 = await viewer(dashA.port);
    const recA2 = new ViewRecorder(vA2, 'pane', since);
    const again = await attach(vA2, { name: 'pane', since });
    expect(again.ok).toBe(true);
    await send(vB, 'worker:input', { name: 'pane', data: 'echo after-reload\r' });
    await until(() => /^after-reload\r?$/m.test(recA2.text), 'new output after the re-attach');
    expect(recA2.problems).toEqual([]);
    expect(recA2.text).not.toContain('42');
    // A fresh view (no offset) gets B's screen as a snapshot.
    const vA3 = await viewer(dashA.port);
    const recA3 = new ViewRecorder(vA3, 'pane');
    const fresh = await attach(vA3, 'pane');
    expect(fresh).toMatchObject({ ok: true, mode: 'snapshot' });
    await until(() => recA3.snapshots[0]?.data.includes('after-reload'), 'snapshot from B');
    await a.cluster.workers.release('pane', { force: true });
  });
});
