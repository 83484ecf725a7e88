import { createRelayClient } from '@agent-relay/mcp';
import { afterEach, describe, expect, it } from 'vitest';
import { RawClient, env, startTestDaemon, type TestDaemon } from './helpers';

/** The published MCP client (@agent-relay/mcp 2.0.29) talks without HELLO: one short connection per call. */

let d: TestDaemon | undefined;
const raws: RawClient[] = [];
afterEach(async () => {
  for (const c of raws.splice(0)) c.close();
  await d?.stop();
  d = undefined;
});

describe('published @agent-relay/mcp client (no HELLO)', () => {
  it('sends as its agent name, reads status, agents and its inbox', async () => {
    d = await startTestDaemon();
    const bob = await RawClient.hello(d.socketPath, 'Bob', { cli: 'claude' });
    raws.push(bob);
    const mcp = createRelayClient({ agentName: 'McpAgent', socketPath: d.socketPath });
    await mcp.send('Bob', 'from mcp', { thread: 'th1' });
    expect(await bob.waitFor((f) => f.type === 'DELIVER')).toMatchObject({ from: 'McpAgent', payload: { body: 'from mcp', thread: 'th1' } });
    expect(await mcp.getStatus()).toMatchObject({ connected: true, daemonVersion: expect.any(String) });
    expect(await mcp.listAgents({})).toEqual([expect.objectContaining({ name: 'Bob', cli: 'claude' })]);
    bob.send(env('SEND', { kind: 'message', body: 'reply to mcp' }, { to: '*' }));
    await new Promise((r) => setTimeout(r, 50));
    expect(await mcp.getInbox({})).toEqual([expect.objectContaining({ from: 'Bob', content: 'reply to mcp' })]);
  });

  it('gets the recipient ACK back for sendAndWait', async () => {
    d = await startTestDaemon();
    const bob = await RawClient.hello(d.socketPath, 'Bob');
    raws.push(bob);
    const mcp = createRelayClient({ agentName: 'McpAgent', socketPath: d.socketPath });
    const waiting = mcp.sendAndWait('Bob', 'ok?', { timeoutMs: 5000 });
    const deliver = await bob.waitFor((f) => f.type === 'DELIVER');
    const { correlationId } = (deliver.payload_meta as { sync: { correlationId: string } }).sync;
    bob.send(env('ACK', { ack_id: deliver.id, seq: 1, correlationId, response: 'yes' }));
    await expect(waiting).resolves.toMatchObject({ from: 'Bob', content: 'yes' });
  });

  it('surfaces NOT_FOUND as an error for sendAndWait to an unknown agent', async () => {
    d = await startTestDaemon();
    const mcp = createRelayClient({ agentName: 'McpAgent', socketPath: d.socketPath });
    await expect(mcp.sendAndWait('Nobody', 'hello?', { timeoutMs: 2000 })).rejects.toThrow(/No agent or user named "Nobody"/);
  });
});
