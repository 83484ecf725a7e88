import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RelayClient, RelayError, type RelayClientOptions, type RelayMessage } from '../../lib/sdk';
import { startTestDaemon, type TestDaemon } from './daemon';

let daemon: TestDaemon;
let clients: RelayClient[];

async function connect(name: string, options: Partial<RelayClientOptions> = {}): Promise<RelayClient> {
  const client = new RelayClient({ name, socketPath: daemon.socketPath, reconnect: false, ...options });
  clients.push(client);
  await client.connect();
  return client;
}

/** Resolves with the next `count` messages the client receives. */
function nextMessages(client: RelayClient, count = 1): Promise<RelayMessage[]> {
  return new Promise((resolve) => {
    const got: RelayMessage[] = [];
    const off = client.onMessage((m) => {
      got.push(m);
      if (got.length === count) {
        off();
        resolve(got);
      }
    });
  });
}

beforeEach(async () => {
  clients = [];
  daemon = await startTestDaemon();
});

afterEach(async () => {
  await Promise.all(clients.map((c) => c.disconnect().catch(() => {})));
  await daemon.close();
});

describe('RelayClient messaging against the real daemon', () => {
  it('sends and receives in both directions with thread and data', async () => {
    const alice = await connect('alice');
    const bob = await connect('bob');
    const toBob = nextMessages(bob);
    alice.send('bob', 'hello bob', { thread: 't1', data: { n: 1 } });
    const [m] = await toBob;
    expect(m).toMatchObject({ from: 'alice', to: 'bob', body: 'hello bob', thread: 't1', data: { n: 1 }, kind: 'message' });
    expect(m.delivery.session_id).toBeTruthy();

    const toAlice = nextMessages(alice);
    bob.send('alice', 'hi alice');
    expect((await toAlice)[0]).toMatchObject({ from: 'bob', body: 'hi alice' });
  });

  it('broadcasts to every other connected agent, marked originalTo *', async () => {
    const alice = await connect('alice');
    const bob = await connect('bob');
    const carol = await connect('carol');
    const got = Promise.all([nextMessages(bob), nextMessages(carol)]);
    let aliceGotOwn = false;
    alice.onMessage(() => {
      aliceGotOwn = true;
    });
    alice.send('*', 'all hands');
    const [[b], [c]] = await got;
    expect(b).toMatchObject({ from: 'alice', body: 'all hands', originalTo: '*' });
    expect(c).toMatchObject({ from: 'alice', body: 'all hands', originalTo: '*' });
    await alice.status(); // a round trip: a DELIVER to the sender would have arrived by now
    expect(aliceGotOwn).toBe(false);
  });

  it('sendAndWait resolves with the response the recipient handler returned', async () => {
    const alice = await connect('alice');
    const bob = await connect('bob');
    bob.onMessage((m) => (m.correlationId ? `pong:${m.body}` : undefined));
    const reply = await alice.sendAndWait('bob', 'ping', { timeoutMs: 5000 });
    expect(reply).toMatchObject({ from: 'bob', response: 'pong:ping' });
  });

  it('sendAndWait rejects with TIMEOUT when the recipient does not acknowledge in time', async () => {
    const alice = await connect('alice');
    const bob = await connect('bob');
    let release = () => {};
    bob.onMessage(() => new Promise<void>((r) => (release = r)));
    const err = await alice.sendAndWait('bob', 'are you there', { timeoutMs: 200 }).catch((e: unknown) => e);
    release();
    expect(err).toBeInstanceOf(RelayError);
    expect((err as RelayError).code).toBe('TIMEOUT');
  });

  it('a send to an unknown agent is refused with NOT_FOUND naming the send', async () => {
    const alice = await connect('alice');
    const refused = new Promise<{ code: string; replyTo?: string }>((resolve) => alice.on('daemonError', resolve));
    const id = alice.send('nobody', 'hello?');
    expect(await refused).toMatchObject({ code: 'NOT_FOUND', replyTo: id });
    const err = await alice.sendAndWait('nobody', 'hello?', { timeoutMs: 1000 }).catch((e: unknown) => e);
    expect((err as RelayError).code).toBe('NOT_FOUND');
  });

  it('delivers messages sent while an agent was offline after it connects again', async () => {
    const bob = await connect('bob');
    await bob.disconnect();
    const alice = await connect('alice');
    alice.send('bob', 'first');
    alice.send('bob', 'second');
    await alice.status();
    const bobAgain = new RelayClient({ name: 'bob', socketPath: daemon.socketPath, reconnect: false });
    clients.push(bobAgain);
    const got = nextMessages(bobAgain, 2);
    await bobAgain.connect();
    expect((await got).map((m) => m.body)).toEqual(['first', 'second']);
  });

  it('hands a redelivered message to the handler once and stops redelivery with its ACK', async () => {
    await daemon.close();
    daemon = await startTestDaemon({ redeliveryMs: 50 });
    const alice = await connect('alice');
    const bob = await connect('bob');
    let calls = 0;
    let finish = () => {};
    const handled = new Promise<void>((resolve) => {
      bob.onMessage(async () => {
        calls += 1;
        // Hold the ACK long enough for the daemon to redeliver a few times.
        await new Promise<void>((r) => (finish = r));
        resolve();
      });
    });
    let deliveries = 0;
    const redelivered = new Promise<void>((resolve) =>
      bob.on('frame', (f) => {
        if (f.type === 'DELIVER' && ++deliveries === 3) resolve();
      }),
    );
    alice.send('bob', 'once');
    await redelivered;
    finish();
    await handled;
    await bob.status();
    expect(calls).toBe(1);
    const [stored] = await alice.queryMessages({ to: 'bob' });
    expect(stored.status).toBe('acked');
  });

  it('delivers topic messages to subscribers only', async () => {
    const alice = await connect('alice');
    const bob = await connect('bob');
    const carol = await connect('carol');
    bob.subscribe('builds');
    await bob.status();
    let carolGot = false;
    carol.onMessage(() => {
      carolGot = true;
    });
    const got = nextMessages(bob);
    alice.send('*', 'build green', { topic: 'builds' });
    expect((await got)[0]).toMatchObject({ body: 'build green', topic: 'builds' });
    await carol.status();
    expect(carolGot).toBe(false);
  });

  it('answers PINGs so the daemon keeps the connection open', async () => {
    await daemon.close();
    daemon = await startTestDaemon({ heartbeatMs: 20, heartbeatTimeoutMs: 150 });
    const alice = await connect('alice');
    await new Promise((r) => setTimeout(r, 500));
    expect(alice.state).toBe('ready');
    expect((await alice.status()).agentCount).toBe(1);
  });
});
