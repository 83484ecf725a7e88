import { statSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startDaemonServer } from '../../server/daemon';
import { RawClient, env, sleep, startTestDaemon, tempDir, type TestDaemon } from './helpers';

let d: TestDaemon | undefined;
afterEach(async () => {
  await d?.stop();
  d = undefined;
});

describe('daemon socket', () => {
  it('creates the socket 0600 in a 0700 directory', async () => {
    const dir = tempDir();
    const sockDir = join(dir, '.agent-relay');
    d = await startTestDaemon({ dir });
    const daemon2 = await startDaemonServer({ socketPath: join(sockDir, 'relay.sock'), router: d.router, storage: d.storage });
    try {
      expect(statSync(join(sockDir, 'relay.sock')).mode & 0o777).toBe(0o600);
      expect(statSync(sockDir).mode & 0o777).toBe(0o700);
      expect(statSync(d.socketPath).mode & 0o777).toBe(0o600);
    } finally {
      await daemon2.close();
    }
  });

  it('refuses to start over a live daemon with a clear error', async () => {
    d = await startTestDaemon();
    await expect(startDaemonServer({ socketPath: d.socketPath, router: d.router, storage: d.storage })).rejects.toThrow(/already listening on .*relay\.sock/);
  });

  it('replaces a stale socket file nobody listens on', async () => {
    const dir = tempDir();
    const socketPath = join(dir, 'relay.sock');
    // A socket file left behind by a process killed without cleaning up.
    const child = spawn(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(socketPath)}, () => console.log('up'))`]);
    await new Promise<void>((r) => child.stdout.once('data', () => r()));
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    expect(statSync(socketPath).isSocket()).toBe(true);
    d = await startTestDaemon({ dir });
    expect(d.socketPath).toBe(socketPath);
    const c = await RawClient.hello(socketPath, 'Fresh');
    c.close();
  });

  it('removes the socket on close', async () => {
    d = await startTestDaemon();
    const path = d.socketPath;
    await d.daemon.close();
    expect(() => statSync(path)).toThrow();
  });

  it('keeps messages across a restart with SQLite and delivers them to the agent afterwards', async () => {
    const dir = tempDir();
    d = await startTestDaemon({ dir });
    const bob = await RawClient.hello(d.socketPath, 'Bob');
    bob.close();
    await bob.waitClosed();
    const alice = await RawClient.hello(d.socketPath, 'Alice');
    alice.send(env('SEND', { kind: 'message', body: 'survives a restart' }, { to: 'Bob' }));
    alice.send(env('SEND', { kind: 'message', body: 'me too' }, { to: 'Bob' }));
    await sleep(100);
    alice.close();
    await d.stop({ keepDir: true });
    d = await startTestDaemon({ dir });
    const bob2 = await RawClient.hello(d.socketPath, 'Bob');
    const delivered = await bob2.waitForCount('DELIVER', 2);
    expect(delivered.map((f) => (f.payload as { body: string }).body)).toEqual(['survives a restart', 'me too']);
    const q = env('MESSAGES_QUERY', { order: 'asc' });
    bob2.send(q);
    const history = await bob2.waitFor((f) => f.id === q.id);
    expect((history.payload as { messages: { body: string }[] }).messages.map((m) => m.body)).toEqual(['survives a restart', 'me too']);
    bob2.close();
  });

  it('reports storage facts in STATUS for the memory driver', async () => {
    d = await startTestDaemon({ driver: 'memory', daemon: { statusExtras: () => ({ projectRoot: '/p', dashboardUrl: 'http://127.0.0.1:1' }) } });
    expect(d.daemon.status()).toMatchObject({
      projectRoot: '/p', dashboardUrl: 'http://127.0.0.1:1', storage: { driver: 'memory', persistent: false, canRead: true, canWrite: true },
    });
  });
});
