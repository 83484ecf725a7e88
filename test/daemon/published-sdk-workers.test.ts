import { RelayClient } from '@agent-relay/sdk';
import { afterEach, describe, expect, it } from 'vitest';
import { RawClient, env } from './helpers';
import { eventually, makeSandbox, startTestDaemon, type Sandbox, type TestDaemon } from '../mcp/harness';

/**
 * The published v1 client (@agent-relay/sdk 2.1.14) spawning and releasing real PTY workers through
 * our daemon's SpawnManager over the socket: SPAWN with waitForReady, LIST_WORKERS, RELEASE.
 */

interface WorkerRow {
  name: string;
  cli: string;
  pid?: number;
  status: string;
}

let sandbox: Sandbox | undefined;
let daemon: TestDaemon | undefined;
let client: RelayClient | undefined;

afterEach(async () => {
  client?.destroy();
  client = undefined;
  await daemon?.close();
  daemon = undefined;
  sandbox?.cleanup();
  sandbox = undefined;
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The published client has no LIST_WORKERS call; a bare protocol client asks (our own lib/sdk does too). */
async function listWorkers(socketPath: string): Promise<WorkerRow[]> {
  const observer = await RawClient.hello(socketPath, 'Observer');
  try {
    const request = env('LIST_WORKERS', {});
    observer.send(request);
    const result = await observer.waitFor((f) => f.type === 'LIST_WORKERS_RESULT' && (f.payload as { replyTo?: string }).replyTo === request.id, 10_000);
    return (result.payload as { workers: WorkerRow[] }).workers;
  } finally {
    observer.close();
  }
}

describe('published @agent-relay/sdk spawn/release against the real SpawnManager', () => {
  it('spawns a cat worker with waitForReady, lists it, releases it, and the process exits', async () => {
    sandbox = makeSandbox();
    process.env.AGENT_RELAY_HOME = sandbox.home;
    daemon = await startTestDaemon(sandbox);
    client = new RelayClient({ socketPath: daemon.socketPath, agentName: 'Lead', quiet: true, reconnect: false });
    await client.connect();

    const spawned = (await client.spawn({ name: 'Kitty', cli: 'cat', task: 'echo what it is told', waitForReady: true, readyTimeoutMs: 20_000 }, 20_000)) as {
      success: boolean; name: string; pid?: number; ready?: boolean; readyInfo?: { name: string; cli?: string; task?: string };
    };
    expect(spawned).toMatchObject({ success: true, name: 'Kitty', ready: true });
    expect(spawned.readyInfo).toMatchObject({ name: 'Kitty', cli: 'cat', task: 'echo what it is told' });
    expect(typeof spawned.pid).toBe('number');
    const pid = spawned.pid!;
    expect(alive(pid)).toBe(true);

    const workers = await listWorkers(daemon.socketPath);
    expect(workers.find((w) => w.name === 'Kitty')).toMatchObject({ name: 'Kitty', cli: 'cat', pid, status: expect.stringMatching(/starting|running|idle/) });
    const agents = (await client.listAgents()) as { name: string; idle: boolean }[];
    expect(agents).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'Kitty', idle: false })]));

    const released = (await client.release('Kitty', 'test done', 15_000)) as { success: boolean; name: string; exitCode?: number; signal?: number | string };
    expect(released).toMatchObject({ success: true, name: 'Kitty' });
    await eventually(() => (alive(pid) ? undefined : true), `worker pid ${pid} to exit`);
    const after = await listWorkers(daemon.socketPath);
    const row = after.find((w) => w.name === 'Kitty');
    if (row) expect(row.status).toBe('exited');
  });

  it('answers a spawn of an unknown CLI with success false and a code, without waiting for readiness', async () => {
    sandbox = makeSandbox();
    process.env.AGENT_RELAY_HOME = sandbox.home;
    daemon = await startTestDaemon(sandbox);
    client = new RelayClient({ socketPath: daemon.socketPath, agentName: 'Lead', quiet: true, reconnect: false });
    await client.connect();
    const result = (await client.spawn({ name: 'Ghost', cli: 'no-such-cli-xyz', waitForReady: true, readyTimeoutMs: 20_000 })) as {
      success: boolean; code?: string; error?: string; ready?: boolean;
    };
    expect(result).toMatchObject({ success: false, code: 'CLI_NOT_FOUND' });
    expect(result.error).toBeTruthy();
    expect(result.ready).toBeUndefined();
  });
});
