import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createUser } from '@nats-io/nkeys';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_BODY_BYTES } from '../../lib/protocol';
import { RawClient, env } from '../daemon/helpers';
import { startNats, type NatsServer } from './nats';
import { startNodeStack, type NodeStack } from './stack';

/**
 * Issue 12, item 6: the cluster connection is authenticated (token, user/password, nkey; TLS for
 * tls://), a wrong or missing credential is refused with a sentence, two live nodes cannot share a
 * name, and a node answers a malformed request from NATS as its own API would.
 */

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await Promise.resolve(c()).catch(() => undefined);
}, 60_000);

function temp(): string {
  const dir = mkdtempSync(join(tmpdir(), 'relay-auth-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function nats(options: Parameters<typeof startNats>[0]): Promise<NatsServer> {
  const n = await startNats(options);
  cleanups.push(async () => {
    await n.stop();
    n.cleanup();
  });
  return n;
}

async function node(options: Parameters<typeof startNodeStack>[0]): Promise<NodeStack> {
  const s = await startNodeStack(options);
  cleanups.push(() => s.stop());
  return s;
}

/** Both nodes up and a message from one to the other: the credentials carry everything. */
async function exchange(a: NodeStack, b: NodeStack): Promise<void> {
  const bob = await RawClient.hello(b.socketPath, 'Bob');
  cleanups.push(() => void bob.socket.destroy());
  const deadline = Date.now() + 15_000;
  while (!a.cluster.directory.agent('Bob')?.online) {
    if (Date.now() > deadline) throw new Error('A never saw Bob');
    await new Promise((r) => setTimeout(r, 50));
  }
  const alice = await RawClient.hello(a.socketPath, 'Alice');
  cleanups.push(() => void alice.socket.destroy());
  alice.send(env('SEND', { kind: 'message', body: 'authenticated' }, { to: 'Bob' }));
  const got = await bob.waitFor((f) => f.type === 'DELIVER', 15_000);
  expect(got).toMatchObject({ from: 'Alice', payload: { body: 'authenticated' } });
}

describe('cluster authentication and validation', () => {
  it('a token from a file; without it or with a wrong one the node is refused with a sentence', async () => {
    const n = await nats({ args: ['--auth', 's3cret-token'] });
    const dir = temp();
    writeFileSync(join(dir, 'token'), 's3cret-token\n', { mode: 0o600 });
    writeFileSync(join(dir, 'wrong'), 'nope\n', { mode: 0o600 });
    const a = await node({ servers: [n.url], node: 'A', tokenFile: join(dir, 'token') });
    const b = await node({ servers: [n.url], node: 'B', tokenFile: join(dir, 'token') });
    await exchange(a, b);
    await expect(startNodeStack({ servers: [n.url], node: 'C' })).rejects.toThrow(/Cannot join the cluster .*(Authorization|auth)/i);
    await expect(startNodeStack({ servers: [n.url], node: 'C', tokenFile: join(dir, 'wrong') })).rejects.toThrow(/Cannot join the cluster/);
    await expect(startNodeStack({ servers: [n.url], node: 'C', tokenFile: join(dir, 'missing') })).rejects.toThrow(/Cannot read the cluster token file .*missing.*ENOENT/);
  });

  it('user and password in the URL', async () => {
    const n = await nats({ args: ['--user', 'relay', '--pass', 'pa55word'] });
    const url = `nats://relay:pa55word@127.0.0.1:${n.port}`;
    const a = await node({ servers: [url], node: 'A' });
    const b = await node({ servers: [url], node: 'B' });
    await exchange(a, b);
    await expect(startNodeStack({ servers: [`nats://relay:wrong@127.0.0.1:${n.port}`], node: 'C' })).rejects.toThrow(/Cannot join the cluster/);
  });

  it('an nkey seed file (--cluster-creds)', async () => {
    const user = createUser();
    const dir = temp();
    writeFileSync(join(dir, 'user.nk'), new TextDecoder().decode(user.getSeed()), { mode: 0o600 });
    writeFileSync(join(dir, 'junk.creds'), 'not a creds file', { mode: 0o600 });
    const n = await nats({
      config: (port, d) => `listen: 127.0.0.1:${port}\njetstream { store_dir: "${join(d, 'js')}" }\nauthorization { users = [ { nkey: "${user.getPublicKey()}" } ] }\n`,
    });
    const a = await node({ servers: [n.url], node: 'A', credsFile: join(dir, 'user.nk') });
    const b = await node({ servers: [n.url], node: 'B', credsFile: join(dir, 'user.nk') });
    await exchange(a, b);
    await expect(startNodeStack({ servers: [n.url], node: 'C', credsFile: join(dir, 'junk.creds') })).rejects.toThrow(/neither a NATS creds file .* nor a user nkey seed/);
  });

  it('TLS for tls:// URLs, the server checked against the given CA', async () => {
    const dir = temp();
    const cert = join(dir, 'cert.pem');
    const key = join(dir, 'key.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'], { stdio: 'ignore' });
    const n = await nats({
      config: (port, d) => `listen: 127.0.0.1:${port}\njetstream { store_dir: "${join(d, 'js')}" }\ntls { cert_file: "${cert}"\n key_file: "${key}" }\n`,
    });
    const url = `tls://127.0.0.1:${n.port}`;
    const a = await node({ servers: [url], node: 'A', tlsCaFile: cert });
    const b = await node({ servers: [url], node: 'B', tlsCaFile: cert });
    await exchange(a, b);
    // Without the CA the self-signed server is not trusted.
    await expect(startNodeStack({ servers: [url], node: 'C' })).rejects.toThrow(/Cannot join the cluster/);
  });

  it('two live nodes with one name: the second is refused, naming the holder', async () => {
    const n = await nats({});
    await node({ servers: [n.url], node: 'Same' });
    // Another process holding the name (here: this one, with another instance) is live.
    await expect(startNodeStack({ servers: [n.url], node: 'Same' })).rejects.toThrow(/The node name "Same" is held by a live node .*Choose another with --node/);
  });

  it('a malformed worker request from NATS is answered BAD_REQUEST; a valid one meets the owner\'s own checks', async () => {
    const n = await nats({});
    const a = await node({ servers: [n.url], node: 'A' });
    const nc = a.cluster.connection.nc;
    const subject = a.cluster.connection.names.rpc('A');
    const ask = async (body: string) => (await nc.request(subject, body, { timeout: 5_000 })).json<{ ok: boolean; error?: { code: string; message: string } }>();
    expect(await ask('not json')).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    expect(await ask(JSON.stringify({ op: 'spawn', request: { name: '../../etc', cli: 'bash' } }))).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    expect(await ask(JSON.stringify({ op: 'input', name: 'nobody', data: 'x' }))).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    expect(await ask(JSON.stringify({ op: 'format-disk' }))).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    // A malformed message in an agent's queue is dropped (terminated, logged), and the queue goes on.
    const bob = await RawClient.hello(a.socketPath, 'Bob');
    cleanups.push(() => void bob.socket.destroy());
    await new Promise((r) => setTimeout(r, 500));
    await a.cluster.connection.js.publish(a.cluster.connection.names.to('Bob'), '{"v":1,"node":"X","items":[{"id":1}]}');
    // What Bob's socket would refuse of a SEND is refused from another node too: a sender that is no
    // relay name (dropped alone: the good one beside it in its batch is delivered), a body over the limit.
    const item = (id: string, from: string, body: string) => ({ id, from, to: 'Bob', ts: Date.now(), payload: { kind: 'message', body } });
    await a.cluster.connection.js.publish(a.cluster.connection.names.to('Bob'), JSON.stringify({ v: 1, node: 'X', items: [item('bad-from', '../etc', 'x'), item('ok-0', 'Zed', 'beside a bad one')] }));
    await a.cluster.connection.js.publish(a.cluster.connection.names.to('Bob'), JSON.stringify({ v: 1, node: 'X', items: [item('bad-body', 'Zed', 'x'.repeat(MAX_BODY_BYTES + 1))] }));
    await a.cluster.connection.js.publish(a.cluster.connection.names.to('Bob'), JSON.stringify({ v: 1, node: 'X', items: [{ id: 'ok-1', from: 'Zed', to: 'Bob', ts: Date.now(), payload: { kind: 'message', body: 'after the bad one' } }] }));
    // One batch at a time per recipient: the next comes once Bob acknowledged this one.
    const first = await bob.waitFor((f) => f.type === 'DELIVER', 15_000);
    expect(first).toMatchObject({ id: 'ok-0', payload: { body: 'beside a bad one' } });
    bob.send(env('ACK', { ack_id: first.id, seq: (first.delivery as { seq: number }).seq }));
    await bob.waitFor((f) => f.type === 'DELIVER' && f.id === 'ok-1', 15_000);
    const got = bob.of('DELIVER');
    expect([...new Set(got.map((f) => f.id))]).toEqual(['ok-0', 'ok-1']);
    expect(got[1]).toMatchObject({ id: 'ok-1', from: 'Zed', payload: { body: 'after the bad one' } });
  });
});
