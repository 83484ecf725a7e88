import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawClient } from '../daemon/helpers';
import { eventually, makeSandbox, startMcpServer, type McpSession, type Sandbox } from '../mcp/harness';
import { startNats, type NatsServer } from './nats';
import { startNodeStack, type NodeStack } from './stack';

/**
 * Issue 12, item 3: MCP relay_who / relay_workers answer for the whole cluster (with `node` to
 * filter), relay_spawn takes a node; `agent-relay mcp serve` (a real child process, the MCP SDK's
 * client) talks to node A only.
 */

let nats: NatsServer;
let a: NodeStack;
let b: NodeStack;
let sandbox: Sandbox;
let mcp: McpSession;
let bob: RawClient;

beforeAll(async () => {
  nats = await startNats();
  a = await startNodeStack({ servers: [nats.url], node: 'A' });
  b = await startNodeStack({ servers: [nats.url], node: 'B' });
  bob = await RawClient.hello(b.socketPath, 'Bob', { cli: 'sdk' });
  await eventually(() => (a.cluster.directory.agent('Bob')?.online ? true : undefined), 'A to see Bob');
  sandbox = makeSandbox();
  mcp = await startMcpServer(sandbox.elsewhere, sandbox.env, { RELAY_SOCKET: a.socketPath, RELAY_AGENT_NAME: 'Planner' });
}, 60_000);

afterAll(async () => {
  await mcp?.close().catch(() => undefined);
  bob?.socket.destroy();
  await a?.stop();
  await b?.stop();
  await nats?.stop();
  nats?.cleanup();
  sandbox?.cleanup();
}, 60_000);

describe('MCP tools on a cluster node', { timeout: 90_000 }, () => {
  it('relay_who and relay_workers list both nodes; node filters; relay_spawn on B; relay_status names the cluster', async () => {
    const who = await mcp.call('relay_who');
    expect(who.isError, who.text).toBe(false);
    expect(who.text).toMatch(/- Bob: online \(.*node B\)/);
    expect(who.text).toMatch(/- Planner \(you\): online \(.*node A\)/);
    const whoA = await mcp.call('relay_who', { node: 'A' });
    expect(whoA.text).toContain('Planner');
    expect(whoA.text).not.toContain('Bob');
    expect((await mcp.call('relay_who', { node: 'B' })).text).not.toContain('Planner');
    expect((await mcp.call('relay_who', { node: 'Nowhere' })).text).toBe('No agents on node Nowhere.');

    const spawned = await mcp.call('relay_spawn', { name: 'far', cli: 'cat', node: 'B' });
    expect(spawned.isError, spawned.text).toBe(false);
    expect(spawned.text).toMatch(/^Spawned worker far/);
    expect(b.spawnManager.getWorker('far')).toBeDefined();
    expect(a.spawnManager.getWorker('far')).toBeUndefined();
    const workers = await eventually(async () => {
      const r = await mcp.call('relay_workers');
      return r.text.includes('far') ? r : undefined;
    }, 'far in relay_workers');
    expect(workers.text).toMatch(/- far \[cat\].*on node B/);
    expect((await mcp.call('relay_workers', { node: 'A' })).text).toBe('No workers on node A.');
    expect((await mcp.call('relay_workers', { node: 'B' })).text).toMatch(/1 worker\(s\):\n- far/);
    // B's own refusal, through A: the name is taken in the cluster.
    const again = await mcp.call('relay_spawn', { name: 'far', cli: 'cat', node: 'B' });
    expect(again.isError).toBe(true);
    expect(again.text).toMatch(/NAME_TAKEN/);
    const nowhere = await mcp.call('relay_spawn', { name: 'x', cli: 'cat', node: 'Nowhere' });
    expect(nowhere.isError).toBe(true);
    expect(nowhere.text).toMatch(/NO_SUCH_NODE/);

    const status = await mcp.call('relay_status');
    expect(status.text).toMatch(/cluster: node A of "test", connected; other nodes: B/);

    const released = await mcp.call('relay_release', { name: 'far', force: true });
    expect(released.isError, released.text).toBe(false);
    expect(b.spawnManager.getWorker('far')?.status).toBe('exited');
  });
});
