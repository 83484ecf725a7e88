import { afterEach, describe, expect, it } from 'vitest';
import type { Envelope, SendPayload, StoredMessageView } from '../../lib/protocol';
import { openStorage, type Storage } from '../storage';
import { createRouter, type Router } from './router';
import { RouterError, type PresenceEvent } from './types';

let storage: Storage;
let router: Router;
function setup(options: Parameters<typeof createRouter>[0] extends infer O ? Omit<O, 'storage'> : never = {}) {
  storage = openStorage({ driver: 'memory' });
  router = createRouter({ storage, ...options });
}
afterEach(() => {
  router?.close();
  storage?.close();
});

const collector = () => {
  const got: Envelope<SendPayload>[] = [];
  return { got, agent: { deliver: (e: Envelope<SendPayload>) => void got.push(e) } };
};

describe('router with in-process agents', () => {
  it('delivers sendAs to a local agent with the DELIVER shape of the wire', () => {
    setup();
    const w = collector();
    router.attachLocalAgent('Worker', { cli: 'bash' }, w.agent);
    const accepted = router.sendAs('Dashboard', 'Worker', 'hello', { thread: 't', data: { k: 1 } });
    expect(accepted.recipients).toEqual(['Worker']);
    expect(w.got[0]).toMatchObject({
      v: 1, type: 'DELIVER', from: 'Dashboard', to: 'Worker',
      payload: { kind: 'message', body: 'hello', thread: 't', data: { k: 1 } },
      delivery: { seq: 1 },
    });
  });

  it('throws RouterError NOT_FOUND for an unknown recipient and stores nothing', () => {
    setup();
    expect(() => router.sendAs('Dashboard', 'Nobody', 'x')).toThrow(RouterError);
    expect(router.queryMessages({})).toEqual([]);
  });

  it('emits one message event per send and presence events on attach and detach', () => {
    setup();
    const messages: StoredMessageView[] = [];
    const presence: PresenceEvent[] = [];
    router.on('message', (m) => messages.push(m));
    router.on('presence', (p) => presence.push(p));
    const handle = router.attachLocalAgent('Worker', { cli: 'bash' }, collector().agent);
    router.attachLocalAgent('Other', {}, collector().agent);
    router.sendAs('Dashboard', '*', 'all');
    handle.detach();
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatchObject({ from: 'Dashboard', to: '*', body: 'all', isBroadcast: true, status: 'delivered' });
    expect(presence.map((p) => [p.name, p.online])).toEqual([['Worker', true], ['Other', true], ['Worker', false]]);
  });

  it('marks a message acked once the local agent resolves deliver()', async () => {
    setup();
    let release!: () => void;
    router.attachLocalAgent('Worker', {}, { deliver: () => new Promise<void>((r) => (release = r)) });
    const { id } = router.sendAs('Dashboard', 'Worker', 'typed');
    expect(storage.getMessage(id)?.status).toBe('delivered');
    release();
    await new Promise((r) => setTimeout(r, 10));
    expect(storage.getMessage(id)?.status).toBe('acked');
  });

  it('retries a rejected local delivery after the redelivery interval', async () => {
    setup({ redeliveryMs: 20 });
    let attempts = 0;
    router.attachLocalAgent('Flaky', {}, {
      deliver: () => {
        attempts++;
        return attempts < 3 ? Promise.reject(new Error('busy')) : Promise.resolve();
      },
    });
    const { id } = router.sendAs('Dashboard', 'Flaky', 'eventually');
    await new Promise((r) => setTimeout(r, 200));
    expect(attempts).toBe(3);
    expect(storage.getMessage(id)?.status).toBe('acked');
  });

  it('holds messages for a known agent after it detaches and hands them over in order on attach', () => {
    setup();
    router.attachLocalAgent('Worker', {}, collector().agent).detach();
    router.sendAs('Dashboard', 'Worker', 'one');
    router.sendAs('Dashboard', 'Worker', 'two');
    const w = collector();
    router.attachLocalAgent('Worker', {}, w.agent);
    expect(w.got.map((e) => e.payload.body)).toEqual(['one', 'two']);
  });

  it('answers NOT_FOUND again once an agent is forgotten', () => {
    setup();
    router.expectAgent('W');
    router.sendAs('Dashboard', 'W', 'held');
    router.forgetAgent('W');
    expect(() => router.sendAs('Dashboard', 'W', 'x')).toThrow(/No agent or user named "W"/);
  });

  it('lists agents: attached, idle known ones and expected workers', () => {
    setup();
    router.attachLocalAgent('Live', { cli: 'claude', parent: 'Lead', pid: 7 }, collector().agent);
    router.attachLocalAgent('Gone', { cli: 'codex' }, collector().agent).detach();
    router.expectAgent('Soon');
    router.attachLocalAgent('Dashboard', { entityType: 'user' }, collector().agent);
    expect(router.listAgents()).toEqual([
      { name: 'Live', cli: 'claude', parent: 'Lead', pid: 7, idle: false },
      { name: 'Gone', cli: 'codex', idle: true },
      { name: 'Soon', idle: true },
    ]);
    expect(router.listAgents({ includeIdle: false }).map((a) => a.name)).toEqual(['Live']);
    expect(router.connectedAgentNames()).toEqual(['Live']);
  });

  it('refuses a session for a worker\'s name from spawn until the claim is released', () => {
    setup();
    const claim = router.claimWorkerName('Busy');
    for (const entityType of ['agent', 'user'] as const) {
      expect(() => router.openSession('Busy', entityType)).toThrow(expect.objectContaining({ code: 'NAME_TAKEN_BY_WORKER' }));
    }
    expect(router.openSession('Other', 'agent').sessionId).toBeTruthy();
    claim.release();
    expect(router.openSession('Busy', 'agent').sessionId).toBeTruthy();
  });

  it('delivers @users to an in-process user such as the dashboard', () => {
    setup();
    const dash = collector();
    router.attachLocalAgent('Dashboard', { entityType: 'user' }, dash.agent);
    router.attachLocalAgent('Worker', {}, collector().agent);
    router.sendAs('Worker', '@users', 'need a human');
    expect(dash.got[0]).toMatchObject({ from: 'Worker', to: 'Dashboard', delivery: { originalTo: '@users' } });
  });
});
