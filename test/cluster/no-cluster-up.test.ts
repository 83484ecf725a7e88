import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawClient, env } from '../daemon/helpers';
import { ensureProductionBuild, killAll, makeSandbox, startUp, type Sandbox } from '../server/helpers/relay-process';
import { startNats, type NatsServer } from './nats';

/**
 * Issue 12, acceptance 4, seen from outside the process: a real `agent-relay up` without --cluster
 * (and a config.json without a cluster section) loads no NATS module and opens no TCP connection
 * at all while it serves agents, messages and a worker; frames carry no cluster fields. The
 * same probe (test/cluster/probe.mjs, preloaded through NODE_OPTIONS) on `up --cluster` sees the
 * NATS modules and the connection to the server, so the probe itself is shown to work.
 */

const PROBE = resolve(import.meta.dirname, 'probe.mjs');
let nats: NatsServer;
const sandboxes: Sandbox[] = [];

beforeAll(async () => {
  await ensureProductionBuild();
  nats = await startNats();
}, 600_000);

afterAll(async () => {
  await killAll();
  await nats?.stop();
  nats?.cleanup();
  for (const s of sandboxes) s.cleanup();
}, 60_000);

function probed(): { sandbox: Sandbox; file: string; lines(): string[] } {
  const sandbox = makeSandbox();
  sandboxes.push(sandbox);
  const file = join(sandbox.dir, 'probe.txt');
  sandbox.env.NODE_OPTIONS = `${sandbox.env.NODE_OPTIONS ?? ''} --import=${PROBE}`.trim();
  sandbox.env.AGENT_RELAY_PROBE_FILE = file;
  return { sandbox, file, lines: () => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : []) };
}

/** Agents, a message, a worker, the lists and STATUS through the relay's socket; what the frames said. */
async function exercise(socketPath: string) {
  const alice = await RawClient.hello(socketPath, 'Alice');
  const bob = await RawClient.hello(socketPath, 'Bob');
  alice.send(env('SEND', { kind: 'message', body: 'hi bob' }, { to: 'Bob' }));
  const delivered = await bob.waitFor((f) => f.type === 'DELIVER');
  const spawn = env('SPAWN', { name: 'w1', cli: 'cat' });
  alice.send(spawn);
  const spawned = await alice.waitFor((f) => f.type === 'SPAWN_RESULT');
  const ask = (type: string, reply: string) => {
    const q = env(type, {});
    alice.send(q);
    return alice.waitFor((f) => f.type === reply);
  };
  const agents = await ask('LIST_AGENTS', 'LIST_AGENTS_RESPONSE');
  const workers = await ask('LIST_WORKERS', 'LIST_WORKERS_RESULT');
  const status = await ask('STATUS', 'STATUS_RESPONSE');
  const release = env('RELEASE', { name: 'w1', force: true });
  alice.send(release);
  await alice.waitFor((f) => f.type === 'RELEASE_RESULT', 30_000);
  alice.socket.destroy();
  bob.socket.destroy();
  return { delivered, spawned, agents, workers, status };
}

describe('without --cluster, seen from outside', { timeout: 300_000 }, () => {
  it('`up` loads no NATS module and opens no TCP connection; frames carry no node; `up --cluster` does both', async () => {
    const plain = probed();
    mkdirSync(join(plain.sandbox.projectRoot, '.agent-relay'), { mode: 0o700 });
    writeFileSync(join(plain.sandbox.projectRoot, '.agent-relay', 'config.json'), JSON.stringify({ worktree: { copy: ['.env'] } }));
    const relay = startUp(plain.sandbox);
    await relay.url;
    const socketPath = join(plain.sandbox.projectRoot, '.agent-relay', 'relay.sock');
    const seen = await exercise(socketPath);
    expect(seen.delivered.payload).toMatchObject({ body: 'hi bob' });
    expect(seen.spawned.payload).toMatchObject({ success: true, name: 'w1' });
    const agents = (seen.agents.payload as { agents: Array<Record<string, unknown>> }).agents;
    expect(agents.map((a) => a.name)).toEqual(expect.arrayContaining(['Alice', 'Bob']));
    for (const a of agents) expect(a).not.toHaveProperty('node');
    const workers = (seen.workers.payload as { workers: Array<Record<string, unknown>> }).workers;
    expect(workers.map((w) => w.name)).toEqual(['w1']);
    expect(workers[0]).not.toHaveProperty('node');
    expect(seen.status.payload).not.toHaveProperty('cluster');
    relay.kill('SIGTERM');
    expect(await relay.exited).toMatchObject({ code: 0 });
    expect(plain.lines()).toEqual([]);

    // The control: the same probe on a node of a cluster.
    const node = probed();
    const clustered = startUp(node.sandbox, ['--cluster', nats.url, '--node', 'probe', '--cluster-name', 'probe']);
    await clustered.url;
    const status = await exercise(join(node.sandbox.projectRoot, '.agent-relay', 'relay.sock'));
    expect(status.status.payload).toMatchObject({ cluster: { node: 'probe', connected: true } });
    clustered.kill('SIGTERM');
    await clustered.exited;
    const lines = node.lines();
    expect(lines.some((l) => l.startsWith('module ') && l.includes('@nats-io/transport-node'))).toBe(true);
    expect(lines).toContain(`tcp 127.0.0.1:${nats.port}`);
  });
});
