import { afterEach, describe, expect, it } from 'vitest';
import { env, rawClients, sleep, startTestDaemon, type TestDaemon } from './helpers';

let d: TestDaemon;
const { hello, raw, closeAll } = rawClients(() => d.socketPath);
const send = (to: string, body: string, extra: Record<string, unknown> = {}, payload: Record<string, unknown> = {}) =>
  env('SEND', { kind: 'message', body, ...payload }, { to, ...extra });

afterEach(async () => {
  closeAll();
  await d?.stop();
});

describe('direct messages', () => {
  it('delivers with a fresh id, from, to, verbatim payload and meta, and delivery info', async () => {
    d = await startTestDaemon();
    const bob = await hello('Bob');
    const alice = await hello('Alice');
    const frame = send('Bob', 'hello', { payload_meta: { importance: 80, replyTo: 'x1' } }, { thread: 't1', data: { n: 1 }, extra: 'kept' });
    alice.send(frame);
    const deliver = await bob.waitFor((f) => f.type === 'DELIVER');
    expect(deliver.id).not.toBe(frame.id);
    expect(deliver).toMatchObject({
      from: 'Alice', to: 'Bob',
      payload: { kind: 'message', body: 'hello', thread: 't1', data: { n: 1 }, extra: 'kept' },
      payload_meta: { importance: 80, replyTo: 'x1' },
      delivery: { seq: 1 },
    });
    expect((deliver.delivery as { session_id: string }).session_id).toBeTruthy();
    expect((deliver.delivery as { originalTo?: string }).originalTo).toBeUndefined();
  });

  it('answers NOT_FOUND with replyTo for a name nobody ever used', async () => {
    d = await startTestDaemon();
    const alice = await hello('Alice');
    const frame = send('Nobody', 'anyone?');
    alice.send(frame);
    expect((await alice.waitFor((f) => f.type === 'ERROR')).payload).toMatchObject({ code: 'NOT_FOUND', fatal: false, replyTo: frame.id });
  });

  it('stores messages for an agent seen before and delivers them in order after its next HELLO', async () => {
    d = await startTestDaemon();
    const bob = await hello('Bob');
    bob.close();
    await bob.waitClosed();
    await sleep(50);
    const alice = await hello('Alice');
    for (let i = 0; i < 20; i++) alice.send(send('Bob', `offline ${i}`));
    await sleep(100);
    expect(alice.of('ERROR')).toHaveLength(0);
    const bob2 = await hello('Bob');
    const delivered = await bob2.waitForCount('DELIVER', 20);
    expect(delivered.map((f) => (f.payload as { body: string }).body)).toEqual(Array.from({ length: 20 }, (_, i) => `offline ${i}`));
    alice.send(send('Bob', 'live'));
    expect(((await bob2.waitForCount('DELIVER', 21))[20].payload as { body: string }).body).toBe('live');
  });

  it('holds messages for an expected worker until it attaches', async () => {
    d = await startTestDaemon();
    d.router.expectAgent('Worker1');
    const alice = await hello('Alice');
    alice.send(send('Worker1', 'your task'));
    await sleep(50);
    const received: string[] = [];
    d.router.attachLocalAgent('Worker1', { cli: 'bash' }, { deliver: (e) => void received.push(e.payload.body) });
    expect(received).toEqual(['your task']);
  });

  it('stores messages for a user who disconnected recently', async () => {
    d = await startTestDaemon();
    const cli = await hello('__cli_sender__', { entityType: 'user' });
    cli.close();
    await cli.waitClosed();
    await sleep(50);
    expect(d.router.recentlyDisconnectedCount).toBe(1);
    const agent = await hello('Agent');
    agent.send(send('__cli_sender__', 'reply'));
    await sleep(100);
    expect(agent.of('ERROR')).toHaveLength(0);
    expect(d.router.inbox('__cli_sender__').map((m) => m.body)).toEqual(['reply']);
  });

  it('re-sends an unacknowledged DELIVER with the same id and stops after the ACK', async () => {
    d = await startTestDaemon({ router: { redeliveryMs: 100 } });
    const bob = await hello('Bob');
    const alice = await hello('Alice');
    alice.send(send('Bob', 'ack me'));
    const copies = await bob.waitForCount('DELIVER', 3);
    expect(new Set(copies.map((f) => f.id)).size).toBe(1);
    bob.send(env('ACK', { ack_id: copies[0].id, seq: 1 }));
    await sleep(100);
    const count = bob.of('DELIVER').length;
    await sleep(400);
    expect(bob.of('DELIVER').length).toBe(count);
    expect(d.router.queryMessages({})[0].status).toBe('acked');
  });

  it('gives up redelivery after the maximum number of attempts', async () => {
    d = await startTestDaemon({ router: { redeliveryMs: 50, maxRedeliveries: 2 } });
    const bob = await hello('Bob');
    const alice = await hello('Alice');
    alice.send(send('Bob', 'ignored'));
    await bob.waitForCount('DELIVER', 3);
    await sleep(400);
    expect(bob.of('DELIVER')).toHaveLength(3);
    expect(d.router.inflightCount).toBe(0);
  });

  it('replays unacknowledged messages when a session resumes', async () => {
    d = await startTestDaemon({ router: { redeliveryMs: 60_000 } });
    const bob = await hello('Bob');
    const token = (bob.of('WELCOME')[0].payload as { resume_token: string }).resume_token;
    const sessionId = (bob.of('WELCOME')[0].payload as { session_id: string }).session_id;
    const alice = await hello('Alice');
    alice.send(send('Bob', 'not acked'));
    await bob.waitFor((f) => f.type === 'DELIVER');
    bob.close();
    await bob.waitClosed();
    await sleep(50);
    const bob2 = await hello('Bob', { session: { resume_token: token } });
    expect((bob2.of('WELCOME')[0].payload as { session_id: string }).session_id).toBe(sessionId);
    expect((await bob2.waitFor((f) => f.type === 'DELIVER')).payload).toMatchObject({ body: 'not acked' });
    expect(bob2.of('ERROR')).toHaveLength(0);
  });
});

describe('broadcast, users and topics', () => {
  it('delivers * once to every other connected agent and user, stored once, with originalTo', async () => {
    d = await startTestDaemon();
    const a = await hello('A');
    const b = await hello('B');
    const u = await hello('ana', { entityType: 'user' });
    a.send(send('*', 'all hands'));
    for (const c of [b, u]) {
      expect(await c.waitFor((f) => f.type === 'DELIVER')).toMatchObject({ from: 'A', delivery: { originalTo: '*' } });
    }
    await sleep(50);
    expect(a.of('DELIVER')).toHaveLength(0);
    expect(d.router.queryMessages({}).filter((m) => m.body === 'all hands')).toHaveLength(1);
  });

  it('delivers @users to users only', async () => {
    d = await startTestDaemon();
    const a = await hello('A');
    const b = await hello('B');
    const u = await hello('ana', { entityType: 'user' });
    a.send(send('@users', 'for humans'));
    expect(await u.waitFor((f) => f.type === 'DELIVER')).toMatchObject({ delivery: { originalTo: '@users' } });
    await sleep(50);
    expect(b.of('DELIVER')).toHaveLength(0);
  });

  it('delivers a topic broadcast to subscribers only, until they unsubscribe', async () => {
    d = await startTestDaemon();
    const pub = await hello('Pub');
    const sub = await hello('Sub');
    const other = await hello('Other');
    sub.send(env('SUBSCRIBE', {}, { topic: 'builds' }));
    await sleep(50);
    pub.send(send('*', 'build 1 green', { topic: 'builds' }));
    expect(await sub.waitFor((f) => f.type === 'DELIVER')).toMatchObject({ topic: 'builds', delivery: { seq: 1 } });
    sub.send(env('UNSUBSCRIBE', {}, { topic: 'builds' }));
    await sleep(50);
    pub.send(send('*', 'build 2 green', { topic: 'builds' }));
    await sleep(100);
    expect(sub.of('DELIVER')).toHaveLength(1);
    expect(other.of('DELIVER')).toHaveLength(0);
  });

  it('counts seq per (topic, sender) for each recipient connection', async () => {
    d = await startTestDaemon();
    const bob = await hello('Bob');
    const a = await hello('A');
    const c = await hello('C');
    a.send(send('Bob', 'a1'));
    a.send(send('Bob', 'a2'));
    c.send(send('Bob', 'c1'));
    a.send(send('Bob', 'a-topic', { topic: 'x' }));
    const got = await bob.waitForCount('DELIVER', 4);
    const seqOf = (body: string) => (got.find((f) => (f.payload as { body: string }).body === body)!.delivery as { seq: number }).seq;
    expect([seqOf('a1'), seqOf('a2'), seqOf('c1'), seqOf('a-topic')]).toEqual([1, 2, 1, 1]);
  });
});

describe('sync sends', () => {
  it('forwards the recipient ACK carrying the correlationId to the sender', async () => {
    d = await startTestDaemon();
    const bob = await hello('Bob');
    const alice = await hello('Alice');
    alice.send(send('Bob', 'approve?', { payload_meta: { sync: { correlationId: 'c-1', timeoutMs: 5000, blocking: true } } }));
    const deliver = await bob.waitFor((f) => f.type === 'DELIVER');
    bob.send(env('ACK', { ack_id: deliver.id, seq: 1 }));
    await sleep(50);
    expect(alice.of('ACK')).toHaveLength(0);
    bob.send(env('ACK', { ack_id: deliver.id, seq: 1, correlationId: 'c-1', response: 'yes' }));
    const ack = await alice.waitFor((f) => f.type === 'ACK');
    expect(ack).toMatchObject({ from: 'Bob', payload: { correlationId: 'c-1', response: 'yes' } });
  });

  it('answers TIMEOUT with replyTo when the recipient never acknowledges', async () => {
    d = await startTestDaemon();
    await hello('Bob');
    const alice = await hello('Alice');
    const frame = send('Bob', 'approve?', { payload_meta: { sync: { correlationId: 'c-2', timeoutMs: 200, blocking: true } } });
    alice.send(frame);
    expect((await alice.waitFor((f) => f.type === 'ERROR')).payload).toMatchObject({ code: 'TIMEOUT', fatal: false, replyTo: frame.id });
  });

  it('counts a local agent resolving deliver() as the sync ACK', async () => {
    d = await startTestDaemon();
    d.router.attachLocalAgent('Worker', {}, { deliver: async () => {} });
    const alice = await hello('Alice');
    alice.send(send('Worker', 'do it', { payload_meta: { sync: { correlationId: 'c-3', blocking: true } } }));
    expect(await alice.waitFor((f) => f.type === 'ACK')).toMatchObject({ from: 'Worker', payload: { correlationId: 'c-3' } });
  });
});

describe('connections without HELLO', () => {
  it('answers queries with the request id', async () => {
    d = await startTestDaemon();
    const c = await raw();
    for (const type of ['STATUS', 'LIST_AGENTS', 'LIST_CONNECTED_AGENTS', 'MESSAGES_QUERY']) {
      const q = env(type, {});
      c.send(q);
      const answer = await c.waitFor((f) => f.id === q.id);
      expect(answer.type).toBe(type === 'MESSAGES_QUERY' ? 'MESSAGES_RESPONSE' : `${type}_RESPONSE`);
    }
    const status = c.frames.find((f) => f.type === 'STATUS_RESPONSE')!;
    expect(status.payload).toMatchObject({ socketPath: d.socketPath, storage: { driver: 'sqlite', persistent: true } });
  });

  it('routes a SEND carrying from and to, as from', async () => {
    d = await startTestDaemon();
    const bob = await hello('Bob');
    const mcp = await raw();
    mcp.send(env('SEND', { kind: 'message', body: 'via mcp' }, { from: 'McpAgent', to: 'Bob' }));
    expect(await bob.waitFor((f) => f.type === 'DELIVER')).toMatchObject({ from: 'McpAgent', payload: { body: 'via mcp' } });
  });

  it('answers anything else with a non-fatal BAD_REQUEST', async () => {
    d = await startTestDaemon();
    const c = await raw();
    const frame = env('SEND', { kind: 'message', body: 'no from' }, { to: 'Bob' });
    c.send(frame);
    expect((await c.waitFor((f) => f.type === 'ERROR')).payload).toMatchObject({ code: 'BAD_REQUEST', fatal: false, replyTo: frame.id });
    c.send(env('ACK', { ack_id: 'x' }));
    await c.waitForCount('ERROR', 2);
    expect(c.closed).toBe(false);
  });
});

describe('queries', () => {
  it('lists agents with idle ones and hides internal names unless asked', async () => {
    d = await startTestDaemon();
    const gone = await hello('Gone', { cli: 'codex' });
    gone.close();
    await gone.waitClosed();
    const c = await hello('Here', { cli: 'claude' });
    await hello('__status__');
    await sleep(50);
    const q = env('LIST_AGENTS', {});
    c.send(q);
    const agents = ((await c.waitFor((f) => f.id === q.id)).payload as { agents: { name: string; idle: boolean; cli?: string }[] }).agents;
    expect(agents).toEqual(expect.arrayContaining([{ name: 'Here', cli: 'claude', idle: false }, { name: 'Gone', cli: 'codex', idle: true }]));
    expect(agents.find((a) => a.name === '__status__')).toBeUndefined();
    const q2 = env('LIST_AGENTS', { includeIdle: false, includeInternal: true });
    c.send(q2);
    const names = ((await c.waitFor((f) => f.id === q2.id)).payload as { agents: { name: string }[] }).agents.map((a) => a.name);
    expect(names.sort()).toEqual(['Here', '__status__']);
  });

  it('answers INBOX and MESSAGES_QUERY from storage', async () => {
    d = await startTestDaemon();
    const bob = await hello('Bob');
    const alice = await hello('Alice');
    alice.send(send('Bob', 'one', {}, { thread: 'th' }));
    alice.send(send('Bob', 'two'));
    await bob.waitForCount('DELIVER', 2);
    const inbox = env('INBOX', { limit: 10 });
    bob.send(inbox);
    const messages = ((await bob.waitFor((f) => f.id === inbox.id)).payload as { messages: { body: string; from: string; thread?: string }[] }).messages;
    expect(messages.map((m) => m.body)).toEqual(['one', 'two']);
    expect(messages[0]).toMatchObject({ from: 'Alice', thread: 'th' });
    const q = env('MESSAGES_QUERY', { order: 'asc', from: 'Alice' });
    bob.send(q);
    const all = await bob.waitFor((f) => f.id === q.id);
    expect(all.type).toBe('MESSAGES_RESPONSE');
    expect((all.payload as { messages: { body: string; to: string }[] }).messages.map((m) => [m.to, m.body])).toEqual([['Bob', 'one'], ['Bob', 'two']]);
  });

  it('answers an invalid query payload with BAD_REQUEST and replyTo', async () => {
    d = await startTestDaemon();
    const c = await hello('Alice');
    const q = env('MESSAGES_QUERY', { limit: 'lots' });
    c.send(q);
    const err = await c.waitFor((f) => f.type === 'ERROR');
    expect(err.payload).toMatchObject({ code: 'BAD_REQUEST', fatal: false, replyTo: q.id });
    expect((err.payload as { message: string }).message).toContain('limit');
  });
});
