import { describe, expect, it } from 'vitest';
import { RelayClient, type RelayMessage } from '../../lib/sdk';
import { eventually, startMcpServer, useMcpFixture } from './harness';

const fx = useMcpFixture();

const TOOLS = ['relay_send', 'relay_inbox', 'relay_who', 'relay_spawn', 'relay_release', 'relay_status', 'relay_workers', 'relay_send_input', 'relay_inject', 'relay_logs', 'relay_changes'];

describe('agent-relay mcp serve', { timeout: 60_000 }, () => {
  it('finds the daemon through the marker from an unrelated directory and every tool works', async () => {
    const daemon = await fx.startDaemon();
    const alice = fx.own(new RelayClient({ name: 'Alice', socketPath: daemon.socketPath, reconnect: false }));
    const received: RelayMessage[] = [];
    alice.onMessage((m) => void received.push(m));
    await alice.connect();

    // cwd has no project and no socket above it; no RELAY_SOCKET: only the marker leads to the daemon.
    const mcp = fx.own(await startMcpServer(fx.sandbox.elsewhere, fx.sandbox.env, { RELAY_AGENT_NAME: 'Planner' }));
    const listed = (await mcp.client.listTools()).tools.map((t) => t.name);
    expect(listed.sort()).toEqual([...TOOLS].sort());

    const status = await mcp.call('relay_status');
    expect(status.isError).toBe(false);
    expect(status.text).toContain(fx.sandbox.projectRoot);
    expect(status.text).toContain('you are: Planner');

    const who = await mcp.call('relay_who');
    expect(who.isError).toBe(false);
    expect(who.text).toMatch(/- Alice: online/);

    const sent = await mcp.call('relay_send', { to: 'Alice', message: 'hello from the editor' });
    expect(sent).toMatchObject({ isError: false });
    const got = await eventually(() => received.find((m) => m.body === 'hello from the editor'), 'Alice to receive the message');
    expect(got.from).toBe('Planner');

    const unknown = await mcp.call('relay_send', { to: 'Nobody', message: 'anyone?' });
    expect(unknown.isError).toBe(true);
    expect(unknown.text).toMatch(/NOT_FOUND/);

    alice.send('Planner', 'reply from Alice');
    const inbox = await eventually(async () => {
      const r = await mcp!.call('relay_inbox');
      return r.text.includes('reply from Alice') ? r : undefined;
    }, 'the reply in relay_inbox');
    expect(inbox.isError).toBe(false);
    expect(inbox.text).toContain('from Alice');

    const spawned = await mcp.call('relay_spawn', { name: 'Demo1', cli: 'demo' });
    expect(spawned.isError, spawned.text).toBe(false);
    expect(spawned.text).toMatch(/Spawned worker Demo1/);

    const workers = await mcp.call('relay_workers');
    expect(workers.isError).toBe(false);
    expect(workers.text).toMatch(/- Demo1 \[demo\]/);

    // Hold: a message for Demo1 waits (shown in relay_workers); flush types it; auto goes back to normal.
    const hold = await mcp.call('relay_inject', { name: 'Demo1', mode: 'hold' });
    expect(hold.isError, hold.text).toBe(false);
    expect(hold.text).toMatch(/^Holding messages to Demo1/);
    alice.send('Demo1', 'held-by-mcp');
    const held = await eventually(async () => {
      const r = await mcp!.call('relay_workers');
      return r.text.includes('1 message(s) held') ? r : undefined;
    }, 'the held message in relay_workers');
    expect(held.text).toMatch(/- Demo1 \[demo\] (running|idle).*1 message\(s\) held/);
    expect((await mcp.call('relay_logs', { name: 'Demo1', lines: 200 })).text).not.toContain('held-by-mcp');
    const flush = await mcp.call('relay_inject', { name: 'Demo1', mode: 'flush' });
    expect(flush.text).toMatch(/^Released 1 held message\(s\) to Demo1; new ones are still held/);
    await eventually(async () => ((await mcp!.call('relay_logs', { name: 'Demo1', lines: 200 })).text.includes('held-by-mcp') ? true : undefined), 'the flushed message typed');
    expect((await mcp.call('relay_inject', { name: 'Demo1', mode: 'auto' })).text).toMatch(/^Messages to Demo1 are delivered automatically/);
    const badMode = await mcp.call('relay_inject', { name: 'Demo1', mode: 'later' });
    expect(badMode.isError).toBe(true);
    const ghost = await mcp.call('relay_inject', { name: 'Ghost', mode: 'hold' });
    expect(ghost).toMatchObject({ isError: true });
    expect(ghost.text).toMatch(/NOT_FOUND/);

    const typed = await mcp.call('relay_send_input', { name: 'Demo1', data: 'echo mcp-typed-this', enter: true });
    expect(typed).toMatchObject({ isError: false });

    const logs = await eventually(async () => {
      const r = await mcp!.call('relay_logs', { name: 'Demo1', lines: 200 });
      return r.text.includes('mcp-typed-this') ? r : undefined;
    }, 'the typed text in relay_logs');
    expect(logs.isError).toBe(false);
    expect(logs.text).not.toContain('\x1b[');

    const released = await mcp.call('relay_release', { name: 'Demo1' });
    expect(released.isError, released.text).toBe(false);
    expect(released.text).toMatch(/^Released Demo1/);
    const after = await mcp.call('relay_workers');
    expect(after.text).toMatch(/Demo1 \[demo\] released/);
  });

  it('without a daemon every tool answers with an error saying to run agent-relay up, then works once it starts', async () => {
    const mcp = fx.own(await startMcpServer(fx.sandbox.elsewhere, fx.sandbox.env));
    const calls: Array<[string, Record<string, unknown>]> = [
      ['relay_status', {}],
      ['relay_who', {}],
      ['relay_send', { to: 'Alice', message: 'hi' }],
      ['relay_inbox', {}],
      ['relay_spawn', { name: 'Demo2', cli: 'demo' }],
      ['relay_workers', {}],
      ['relay_send_input', { name: 'Demo2', data: 'x' }],
      ['relay_inject', { name: 'Demo2', mode: 'hold' }],
      ['relay_logs', { name: 'Demo2' }],
      ['relay_changes', { name: 'Demo2' }],
      ['relay_release', { name: 'Demo2' }],
    ];
    for (const [name, args] of calls) {
      const result = await mcp.call(name, args);
      expect(result.isError, `${name}: ${result.text}`).toBe(true);
      expect(result.text, name).toContain('agent-relay up');
    }

    // The server is still there, and finds the daemon as soon as it runs.
    const daemon = await fx.startDaemon();
    const status = await mcp.call('relay_status');
    expect(status.isError, status.text).toBe(false);
    expect(status.text).toMatch(/you are: mcp-\d+/);
    expect((await mcp.call('relay_workers')).text).toMatch(/No workers/);

    // And survives the daemon going away again.
    await daemon.close();
    const gone = await eventually(async () => {
      const r = await mcp!.call('relay_status');
      return r.isError ? r : undefined;
    }, 'a tool error after the daemon stopped');
    expect(gone.text).toContain('agent-relay up');
  });
});
