import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendNowOf } from '../../server/cluster/connection';
import { startNats, type NatsServer } from './nats';

/**
 * Live copies are written to the socket in the SEND's own turn (server/cluster/connection.ts,
 * sendNow). That reaches past nats.js's public API: this fails if a nats.js upgrade moves it,
 * instead of the cluster silently going back to writing at the end of the turn.
 */

interface Internals {
  protocol: { outbound: { size(): number } };
}

let nats: NatsServer;
let nc: NatsConnection;

beforeAll(async () => {
  nats = await startNats();
  nc = await connect({ servers: nats.url });
});

afterAll(async () => {
  await nc?.close();
  await nats?.stop();
  nats?.cleanup();
});

describe('sendNow', () => {
  it('hands a publish to the socket at once; without it nats.js holds it until its microtask', async () => {
    const outbound = (nc as unknown as Internals).protocol.outbound;
    const got: string[] = [];
    const sub = nc.subscribe('send-now.test', { callback: (_e, m) => void got.push(m.string()) });
    await nc.flush();

    nc.publish('send-now.test', 'held');
    expect(outbound.size()).toBeGreaterThan(0);
    await Promise.resolve();
    expect(outbound.size()).toBe(0);

    const sendNow = sendNowOf(nc);
    nc.publish('send-now.test', 'now');
    sendNow();
    expect(outbound.size()).toBe(0);

    await nc.flush();
    expect(got).toEqual(['held', 'now']);
    sub.unsubscribe();
  });
});
