import { afterEach, describe, expect, it } from 'vitest';
import { encodeFrame } from '../../lib/protocol';
import { env, rawClients, startTestDaemon, type TestDaemon } from './helpers';

let d: TestDaemon;
const { hello, raw, closeAll } = rawClients(() => d.socketPath);

afterEach(async () => {
  closeAll();
  await d?.stop();
});

describe('framing over the real socket', () => {
  it('parses a HELLO written one byte at a time', async () => {
    d = await startTestDaemon();
    const c = await raw();
    const frame = encodeFrame(env('HELLO', { agent: 'Slow' }));
    for (const byte of frame) c.write(Buffer.from([byte]));
    const welcome = await c.waitFor((f) => f.type === 'WELCOME');
    expect(welcome.payload).toMatchObject({ server: { max_frame_bytes: 1048576, heartbeat_ms: 5000 } });
    expect(typeof (welcome.payload as { session_id: unknown }).session_id).toBe('string');
  });

  it('handles many frames merged into one write, in order', async () => {
    d = await startTestDaemon();
    const bob = await hello('Bob');
    const alice = await raw();
    const frames = [encodeFrame(env('HELLO', { agent: 'Alice' }))];
    for (let i = 0; i < 200; i++) frames.push(encodeFrame(env('SEND', { kind: 'message', body: `m${i}` }, { to: 'Bob' })));
    alice.write(Buffer.concat(frames));
    const delivered = await bob.waitForCount('DELIVER', 200);
    expect(delivered.map((f) => (f.payload as { body: string }).body)).toEqual(frames.slice(1).map((_, i) => `m${i}`));
    expect(delivered.map((f) => (f.delivery as { seq: number }).seq)).toEqual(delivered.map((_, i) => i + 1));
  });

  it('answers an oversized frame with a fatal BAD_REQUEST and closes', async () => {
    d = await startTestDaemon();
    const c = await raw();
    const header = Buffer.alloc(4);
    header.writeUInt32BE(1_048_577, 0);
    c.write(header);
    const err = await c.waitFor((f) => f.type === 'ERROR');
    expect(err.payload).toMatchObject({ code: 'BAD_REQUEST', fatal: true });
    await c.waitClosed();
  });

  it('answers invalid JSON with a fatal BAD_REQUEST and closes', async () => {
    d = await startTestDaemon();
    const c = await raw();
    const body = Buffer.from('{"v":1,"type":');
    const header = Buffer.alloc(4);
    header.writeUInt32BE(body.length, 0);
    c.write(Buffer.concat([header, body]));
    const err = await c.waitFor((f) => f.type === 'ERROR');
    expect(err.payload).toMatchObject({ code: 'BAD_REQUEST', fatal: true });
    await c.waitClosed();
  });

  it('answers a frame that is not an object with a string type with a fatal BAD_REQUEST', async () => {
    d = await startTestDaemon();
    const c = await raw();
    c.send([1, 2, 3]);
    expect((await c.waitFor((f) => f.type === 'ERROR')).payload).toMatchObject({ code: 'BAD_REQUEST', fatal: true });
    await c.waitClosed();
  });

  it('closes on an unknown protocol version with a fatal BAD_REQUEST', async () => {
    d = await startTestDaemon();
    const c = await raw();
    c.send({ ...env('HELLO', { agent: 'V2' }), v: 2 });
    expect((await c.waitFor((f) => f.type === 'ERROR')).payload).toMatchObject({ code: 'BAD_REQUEST', fatal: true });
    await c.waitClosed();
  });
});

describe('message types', () => {
  it('answers an unknown type with a non-fatal BAD_REQUEST and keeps the connection', async () => {
    d = await startTestDaemon();
    const c = await hello('Alice');
    const frame = env('FROBNICATE');
    c.send(frame);
    const err = await c.waitFor((f) => f.type === 'ERROR');
    expect(err.payload).toMatchObject({ code: 'BAD_REQUEST', fatal: false, replyTo: frame.id });
    const status = env('STATUS');
    c.send(status);
    expect((await c.waitFor((f) => f.type === 'STATUS_RESPONSE')).id).toBe(status.id);
  });

  it('answers a known but unimplemented v1 type with UNSUPPORTED', async () => {
    d = await startTestDaemon();
    const c = await hello('Alice');
    const frame = env('CHANNEL_JOIN', { channel: '#general' });
    c.send(frame);
    expect((await c.waitFor((f) => f.type === 'ERROR')).payload).toMatchObject({ code: 'UNSUPPORTED', fatal: false, replyTo: frame.id });
    expect(c.closed).toBe(false);
  });

  it('answers a SEND with an invalid payload with a non-fatal BAD_REQUEST naming the field', async () => {
    d = await startTestDaemon();
    const c = await hello('Alice');
    const frame = env('SEND', { kind: 'message', body: 42 }, { to: 'Bob' });
    c.send(frame);
    const err = await c.waitFor((f) => f.type === 'ERROR');
    expect(err.payload).toMatchObject({ code: 'BAD_REQUEST', fatal: false, replyTo: frame.id });
    expect((err.payload as { message: string }).message).toContain('body');
  });
});

describe('handshake', () => {
  it('closes a connection that never says HELLO', async () => {
    d = await startTestDaemon({ daemon: { helloTimeoutMs: 200 } });
    const c = await raw();
    await c.waitClosed(3000);
    expect(c.of('WELCOME')).toHaveLength(0);
  });

  it('answers a second HELLO with a non-fatal BAD_REQUEST', async () => {
    d = await startTestDaemon();
    const c = await hello('Alice');
    c.send(env('HELLO', { agent: 'Alice2' }));
    expect((await c.waitFor((f) => f.type === 'ERROR')).payload).toMatchObject({ code: 'BAD_REQUEST', fatal: false });
    expect(c.closed).toBe(false);
  });

  it('refuses reserved and invalid names with a fatal BAD_REQUEST', async () => {
    d = await startTestDaemon();
    for (const name of ['Dashboard', 'system', '9lives', 'has space']) {
      const c = await raw();
      c.send(env('HELLO', { agent: name }));
      expect((await c.waitFor((f) => f.type === 'ERROR')).payload).toMatchObject({ code: 'BAD_REQUEST', fatal: true });
      await c.waitClosed();
    }
  });

  it('gives a duplicate agent name to the newer HELLO and closes the older with DUPLICATE_CONNECTION', async () => {
    d = await startTestDaemon();
    const first = await hello('Twin');
    const second = await hello('Twin');
    expect((await first.waitFor((f) => f.type === 'ERROR')).payload).toMatchObject({ code: 'DUPLICATE_CONNECTION', fatal: true });
    await first.waitClosed();
    const sender = await hello('Sender');
    sender.send(env('SEND', { kind: 'message', body: 'to the new twin' }, { to: 'Twin' }));
    expect((await second.waitFor((f) => f.type === 'DELIVER')).payload).toMatchObject({ body: 'to the new twin' });
  });

  it('lets a user hold several connections, each receiving the message', async () => {
    d = await startTestDaemon();
    const tab1 = await hello('ana', { entityType: 'user' });
    const tab2 = await hello('ana', { entityType: 'user' });
    const agent = await hello('Agent');
    agent.send(env('SEND', { kind: 'message', body: 'hi ana' }, { to: 'ana' }));
    for (const tab of [tab1, tab2]) {
      const deliver = await tab.waitFor((f) => f.type === 'DELIVER');
      expect(deliver).toMatchObject({ from: 'Agent', to: 'ana', payload: { body: 'hi ana' } });
    }
    expect(tab1.of('ERROR')).toHaveLength(0);
  });

  it('answers a BYE before HELLO without closing, so a HELLO written after it still works', async () => {
    d = await startTestDaemon();
    const c = await raw();
    c.write(Buffer.concat([encodeFrame(env('BYE')), encodeFrame(env('HELLO', { agent: 'Again' }))]));
    await c.waitFor((f) => f.type === 'WELCOME');
    expect(c.of('ERROR')[0].payload).toMatchObject({ code: 'BAD_REQUEST', fatal: false });
  });

  it('closes the connection on BYE after HELLO', async () => {
    d = await startTestDaemon();
    const c = await hello('Leaving');
    c.send(env('BYE'));
    await c.waitClosed();
    expect(d.router.isOnline('Leaving')).toBe(false);
  });

  it('answers an unknown resume token with RESUME_TOO_OLD then a fresh WELCOME', async () => {
    d = await startTestDaemon();
    const c = await raw();
    c.send(env('HELLO', { agent: 'Alice', session: { resume_token: 'nope' } }));
    await c.waitFor((f) => f.type === 'WELCOME');
    const types = c.frames.map((f) => f.type);
    expect(types.indexOf('ERROR')).toBeLessThan(types.indexOf('WELCOME'));
    expect(c.of('ERROR')[0].payload).toMatchObject({ code: 'RESUME_TOO_OLD', fatal: false });
  });

  it('broadcasts AGENT_READY to the other connections after WELCOME', async () => {
    d = await startTestDaemon();
    const watcher = await hello('Watcher');
    await hello('Newcomer', { cli: 'claude', task: 'review' });
    const ready = await watcher.waitFor((f) => f.type === 'AGENT_READY');
    expect(ready.payload).toMatchObject({ name: 'Newcomer', cli: 'claude', task: 'review' });
  });

  it('closes a connection that stops answering PING', async () => {
    d = await startTestDaemon({ daemon: { heartbeatMs: 100, heartbeatTimeoutMs: 400 } });
    const silent = await hello('Silent');
    await silent.waitFor((f) => f.type === 'PING');
    await silent.waitClosed(5000);
  });

  it('keeps a connection that answers PING with PONG', async () => {
    d = await startTestDaemon({ daemon: { heartbeatMs: 100, heartbeatTimeoutMs: 400 } });
    const c = await hello('Lively');
    let answered = 0;
    c.socket.on('data', () => {
      for (const ping of c.of('PING').slice(answered)) {
        c.send(env('PONG', ping.payload));
        answered++;
      }
    });
    await c.waitForCount('PING', 10, 5000);
    expect(c.closed).toBe(false);
  });
});
