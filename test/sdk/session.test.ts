import { afterEach, describe, expect, it } from 'vitest';
import { RelayClient, RelayError, type RelayMessage } from '../../lib/sdk';
import { startTestDaemon, type TestDaemon } from './daemon';

let daemon: TestDaemon | undefined;
const clients: RelayClient[] = [];

function track(client: RelayClient): RelayClient {
  clients.push(client);
  return client;
}

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.disconnect().catch(() => {})));
  await daemon?.close();
  daemon = undefined;
});

describe('RelayClient sessions', () => {
  it('reconnects after the daemon restarts and resumes its session with the resume token', async () => {
    daemon = await startTestDaemon({ storage: 'sqlite' });
    const bob = track(new RelayClient({ name: 'bob', socketPath: daemon.socketPath, reconnectDelayMs: 20, reconnectMaxDelayMs: 100 }));
    await bob.connect();
    const firstSession = bob.session.id;

    const dropped = new Promise((r) => bob.once('disconnected', r));
    await daemon.stop();
    expect(await dropped).toMatchObject({ willReconnect: true });
    expect(bob.state).toBe('reconnecting');

    const reconnected = new Promise<{ sessionId: string; resumed: boolean }>((r) => bob.once('connected', r));
    daemon = await startTestDaemon({ storage: 'sqlite', dir: daemon.dir });
    expect(await reconnected).toEqual({ sessionId: firstSession, resumed: true });
    expect(bob.state).toBe('ready');

    // And it is reachable again under its name.
    const alice = track(new RelayClient({ name: 'alice', socketPath: daemon.socketPath, reconnect: false }));
    await alice.connect();
    const got = new Promise<RelayMessage>((r) => bob.onMessage(r));
    alice.send('bob', 'welcome back');
    expect((await got).body).toBe('welcome back');
  });

  it('starts a fresh session when the daemon does not know the token', async () => {
    daemon = await startTestDaemon({ storage: 'memory' });
    const bob = track(new RelayClient({ name: 'bob', socketPath: daemon.socketPath, reconnectDelayMs: 20, reconnectMaxDelayMs: 100 }));
    await bob.connect();
    const firstSession = bob.session.id;
    await daemon.stop();
    const reconnected = new Promise<{ sessionId: string; resumed: boolean }>((r) => bob.once('connected', r));
    daemon = await startTestDaemon({ storage: 'memory', dir: daemon.dir });
    const info = await reconnected;
    expect(info.resumed).toBe(false);
    expect(info.sessionId).not.toBe(firstSession);
  });

  it('fails waiting requests with DISCONNECTED when the connection drops', async () => {
    daemon = await startTestDaemon();
    const alice = track(new RelayClient({ name: 'alice', socketPath: daemon.socketPath, reconnect: false }));
    const bob = track(new RelayClient({ name: 'bob', socketPath: daemon.socketPath, reconnect: false }));
    await alice.connect();
    await bob.connect();
    bob.onMessage(() => new Promise(() => {})); // never acknowledges
    const waiting = alice.sendAndWait('bob', 'hold on', { timeoutMs: 30_000 }).catch((e: unknown) => e);
    await alice.status(); // the SEND has reached the daemon
    await daemon.stop();
    const err = await waiting;
    expect(err).toBeInstanceOf(RelayError);
    expect((err as RelayError).code).toBe('DISCONNECTED');
    expect(alice.state).toBe('closed');
  });

  it('rejects calls made while not connected with NOT_CONNECTED', async () => {
    daemon = await startTestDaemon();
    const alice = new RelayClient({ name: 'alice', socketPath: daemon.socketPath });
    expect(() => alice.send('bob', 'x')).toThrow(expect.objectContaining({ code: 'NOT_CONNECTED' }));
    await expect(alice.status()).rejects.toMatchObject({ code: 'NOT_CONNECTED' });
  });

  it('connect rejects with CONNECT_FAILED when nothing listens on the socket', async () => {
    daemon = await startTestDaemon();
    const path = daemon.socketPath;
    await daemon.stop();
    const client = new RelayClient({ name: 'alice', socketPath: path });
    await expect(client.connect()).rejects.toMatchObject({ code: 'CONNECT_FAILED' });
    expect(client.state).toBe('closed');
  });

  it('stops reconnecting after a fatal DUPLICATE_CONNECTION', async () => {
    daemon = await startTestDaemon();
    const first = track(new RelayClient({ name: 'bob', socketPath: daemon.socketPath, reconnectDelayMs: 20 }));
    await first.connect();
    const closed = new Promise<{ willReconnect: boolean }>((r) => first.once('disconnected', r));
    const second = track(new RelayClient({ name: 'bob', socketPath: daemon.socketPath, reconnect: false }));
    await second.connect();
    expect((await closed).willReconnect).toBe(false);
    expect(first.state).toBe('closed');
    expect(second.state).toBe('ready');
  });
});

describe('RelayClient handshake refusals', () => {
  it('connect rejects with the daemon\'s code when the name is reserved', async () => {
    daemon = await startTestDaemon();
    const client = new RelayClient({ name: 'Dashboard', socketPath: daemon.socketPath });
    await expect(client.connect()).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    expect(client.state).toBe('closed');
  });
});
