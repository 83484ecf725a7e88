import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawClient, env } from '../daemon/helpers';
import { startNats, type NatsServer } from './nats';
import { startNodeStack, type NodeStack } from './stack';

/** `agent-relay agents|workers [--node]`, `spawn --node` and `status` against a cluster node, through the real CLI. */

const run = promisify(execFile);
const BIN = resolve(import.meta.dirname, '..', '..', 'bin', 'agent-relay.js');
let nats: NatsServer;
let a: NodeStack;
let b: NodeStack;
let bob: RawClient;

function cli(node: NodeStack, ...args: string[]) {
  return run(process.execPath, [BIN, '--socket', node.socketPath, ...args], { env: { ...process.env, AGENT_RELAY_HOME: join(node.project, 'home') }, timeout: 60_000 });
}

beforeAll(async () => {
  nats = await startNats();
  a = await startNodeStack({ servers: [nats.url], node: 'A' });
  b = await startNodeStack({ servers: [nats.url], node: 'B' });
  bob = await RawClient.hello(b.socketPath, 'Bob', { cli: 'sdk' });
  // A live client answers the daemon's PINGs (every 5 s; silent for 30 s is gone): the CLI calls below take a while under load.
  let answered = 0;
  bob.socket.on('data', () => {
    for (const ping of bob.of('PING').slice(answered)) bob.send(env('PONG', {}, { id: ping.id }));
    answered = bob.of('PING').length;
  });
  const deadline = Date.now() + 20_000;
  while (!a.cluster.directory.agent('Bob')?.online && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
}, 60_000);

afterAll(async () => {
  bob?.socket.destroy();
  await a?.stop();
  await b?.stop();
  await nats?.stop();
  nats?.cleanup();
}, 60_000);

describe('the CLI against a cluster node', () => {
  it('spawn --node, workers and agents for the whole cluster with NODE, --node filters, status names the cluster', async () => {
    const spawned = await cli(a, 'spawn', 'far', 'cat', '--node', 'B');
    expect(spawned.stdout).toContain('Spawned far');
    expect(b.spawnManager.getWorker('far')).toBeDefined();
    const deadline = Date.now() + 20_000;
    while (!a.cluster.directory.worker('far') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const workers = (await cli(a, 'workers')).stdout;
    expect(workers).toMatch(/NODE/);
    expect(workers).toMatch(/far\s+cat\s+.*\bB\b/);
    expect((await cli(a, 'workers', '--node', 'A')).stdout).toContain('No workers on node A.');
    const json = JSON.parse((await cli(a, 'workers', '--node', 'B', '--json')).stdout) as Array<{ name: string; node: string }>;
    expect(json.map((w) => [w.name, w.node])).toEqual([['far', 'B']]);
    const agents = (await cli(a, 'agents')).stdout;
    expect(agents).toMatch(/Bob\s+.*online.*\bB\b/);
    expect((await cli(a, 'agents', '--node', 'A')).stdout).not.toContain('Bob');
    const status = (await cli(a, 'status')).stdout;
    expect(status).toMatch(/cluster:\s+node A of "test", connected to .*; other nodes: B/);
    const bad = await cli(a, 'spawn', 'x', 'cat', '--node', 'Nowhere').catch((e: { stdout: string; stderr: string; code: number }) => e);
    expect((bad as { code: number }).code).toBe(1);
    expect(`${(bad as { stderr: string }).stderr}`).toMatch(/NO_SUCH_NODE|No node named "Nowhere"/);
    await cli(a, 'release', 'far', '--force');
  }, 180_000);
});
