import { describe, expect, it } from 'vitest';
import type { WorkerInfo } from '../../lib/protocol';
import { RawClient, env } from '../daemon/helpers';
import { seesNode, type NodeStack } from './stack';
import { until, useTwoNodes } from './two-nodes';

/**
 * Issue 12, item 4: workers on any node, from any node, through NATS request/reply, with the
 * owning node's validation, policy and error codes; live output of a remote worker by watch lease.
 */

let a: NodeStack;
let b: NodeStack;

useTwoNodes({
  b: { maxWorkers: 2, allowNestedSpawn: false },
  ready: async (n) => {
    ({ a, b } = n);
    await seesNode(a, 'B');
  },
});

describe('workers across nodes', () => {
  it('node A spawns bash on node B, types into it, streams and reads its output, snapshots, releases it', async () => {
    const workers = a.cluster.workers;
    const info = await workers.spawn({ name: 'w1', cli: 'bash', args: ['--norc', '--noprofile'], node: 'B', cols: 100, rows: 30 }, { requester: 'Dashboard', trusted: true });
    expect(info).toMatchObject({ name: 'w1', node: 'B' });
    expect(b.spawnManager.getWorker('w1')?.status).not.toBe('exited');
    expect(a.spawnManager.getWorker('w1')).toBeUndefined();
    // A's list (and so every surface of A) has it, with its node.
    await until(() => workers.listWorkers().find((w) => w.name === 'w1' && w.node === 'B'), 'w1 in A\'s list');
    expect(workers.getWorker('w1')).toMatchObject({ node: 'B', nodeReachable: true });

    // Live output through the watch lease, offsets contiguous from where it was watched.
    const chunks: Array<{ start: number; data: Buffer }> = [];
    workers.on('output', (name, data, start) => {
      if (name === 'w1') chunks.push({ start, data: Buffer.from(data) });
    });
    workers.watchOutput('w1', true);
    await new Promise((r) => setTimeout(r, 500));
    await workers.sendWorkerInput('w1', 'echo $((6*7))\r');
    await until(() => Buffer.concat(chunks.map((c) => c.data)).toString().includes('42'), 'live 42 on A');
    for (let i = 1; i < chunks.length; i++) expect(chunks[i].start).toBe(chunks[i - 1].start + chunks[i - 1].data.length);

    // Reads and snapshots from the owner, consistent with the offsets seen live.
    const slice = await workers.readOutput('w1', 0);
    expect(slice.data.toString()).toContain('42');
    expect(slice.end).toBe(b.spawnManager.getWorker('w1')!.outputBytes);
    const last = chunks[chunks.length - 1];
    expect(last.start + last.data.length).toBeLessThanOrEqual(slice.end);
    const snap = await workers.snapshot('w1');
    expect(snap.data).toContain('42');
    expect(snap.cols).toBe(100);
    await workers.resize('w1', 120, 40);
    await until(() => b.spawnManager.getWorker('w1')?.cols === 120, 'resize on B');
    const inject = await workers.setInjectMode('w1', 'hold');
    expect(inject.injection.mode).toBe('hold');
    await workers.setInjectMode('w1', 'auto');
    workers.watchOutput('w1', false);

    const outcome = await workers.release('w1');
    expect(['exit', 'SIGTERM', 'SIGHUP', 'SIGKILL']).toContain(outcome.endedBy);
    await until(() => workers.getWorker('w1')?.status === 'exited', 'exited on A');
    await workers.remove('w1');
    await until(() => !workers.getWorker('w1'), 'removed from A\'s list');
    expect(b.spawnManager.getWorker('w1')).toBeUndefined();
  });

  it('errors are the owner\'s own: unknown worker, unknown node, a taken name, the owner\'s policy', async () => {
    const workers = a.cluster.workers;
    await expect(workers.spawn({ name: 'x1', cli: 'bash', node: 'Nowhere' })).rejects.toMatchObject({ code: 'NO_SUCH_NODE' });
    await expect(workers.spawn({ name: 'x1', cli: 'definitely-not-a-command-xyz', node: 'B' })).rejects.toMatchObject({ code: 'CLI_NOT_FOUND' });
    await expect(workers.spawn({ name: 'x1', cli: 'bash', cwd: '/definitely/not/here', node: 'B' })).rejects.toMatchObject({ code: 'BAD_CWD', field: 'cwd' });
    // B allows two workers at once: its LIMIT_REACHED is final, whoever asks.
    await workers.spawn({ name: 'p1', cli: 'cat', node: 'B' });
    await workers.spawn({ name: 'p2', cli: 'cat', node: 'B' });
    await expect(workers.spawn({ name: 'p3', cli: 'cat', node: 'B' })).rejects.toMatchObject({ code: 'LIMIT_REACHED' });
    // Final: A does not run it instead.
    expect(a.spawnManager.getWorker('p3')).toBeUndefined();
    expect(workers.getWorker('p3')).toBeUndefined();
    // Worker names are unique in the cluster.
    await until(() => a.cluster.directory.worker('p1'), 'p1 in the directory');
    await expect(workers.spawn({ name: 'p1', cli: 'cat' })).rejects.toMatchObject({ code: 'NAME_TAKEN' });
    await expect(workers.sendWorkerInput('p1', 'x'.repeat(70_000))).rejects.toMatchObject({ code: 'INPUT_TOO_LARGE' });
    expect(() => workers.sendWorkerInput('ghost', 'x')).toThrow(expect.objectContaining({ code: 'NOT_FOUND' }));
    await workers.release('p1', { force: true });
    await workers.release('p2', { force: true });
    await until(() => workers.getWorker('p2')?.status === 'exited', 'p2 exited');
    await workers.remove('p1');
    await workers.remove('p2');
  });

  it('B forbids nested spawning: a worker of A asking B is denied there, and nothing runs anywhere', async () => {
    // A allows it (default); B does not. The requester is A's worker, which B does not have: A says so.
    const workers = a.cluster.workers;
    await workers.spawn({ name: 'parent', cli: 'cat' });
    for (const context of [{ requester: 'parent', trusted: true }, { requester: 'parent', trusted: true, fromWorker: true }]) {
      const denied = await workers.spawn({ name: 'child', cli: 'cat', node: 'B' }, context).catch((e: unknown) => e);
      expect(denied).toMatchObject({ code: 'POLICY_DENIED', message: expect.stringMatching(/allowNestedSpawn is off/) });
      expect(b.spawnManager.getWorker('child')).toBeUndefined();
      expect(a.spawnManager.getWorker('child')).toBeUndefined();
    }
    // The same worker may spawn on its own node (A's policy allows it): the denial was B's, and final.
    await expect(workers.spawn({ name: 'child', cli: 'cat' }, { requester: 'parent', trusted: true })).resolves.toMatchObject({ name: 'child', node: 'A' });
    // Not a worker (the dashboard): B's policy lets it spawn there.
    await expect(workers.spawn({ name: 'child2', cli: 'cat', node: 'B' }, { requester: 'Dashboard', trusted: true })).resolves.toMatchObject({ node: 'B' });
    for (const name of ['child', 'parent', 'child2']) {
      await workers.release(name, { force: true });
      await until(() => workers.getWorker(name)?.status === 'exited', `${name} exited`);
      await workers.remove(name);
    }
  });

  it('a node that claimed its name but does not answer requests yet counts as unreachable until it says it serves', async () => {
    const record = { node: 'C', instance: 'c-1', startedAt: Date.now(), host: 'elsewhere', pid: 1, version: 'test', serving: false };
    await a.cluster.connection.kv.put('node.C', JSON.stringify(record));
    await until(() => a.cluster.directory.hasNode('C'), 'A to know C');
    expect(a.cluster.directory.isReachable('C')).toBe(false);
    await expect(a.cluster.workers.spawn({ name: 'onc', cli: 'cat', node: 'C' })).rejects.toMatchObject({ code: 'NODE_UNREACHABLE' });
    await a.cluster.connection.kv.put('node.C', JSON.stringify({ ...record, serving: true }));
    await until(() => a.cluster.directory.isReachable('C'), 'C reachable once serving');
    await a.cluster.connection.kv.delete('node.C');
    await until(() => !a.cluster.directory.hasNode('C'), 'C gone');
  });

  it('a worker\'s own release command (outbox file) of a worker on another node reaches that node', async () => {
    const workers = a.cluster.workers;
    await workers.spawn({ name: 'far2', cli: 'cat', node: 'B' });
    await until(() => a.cluster.directory.worker('far2'), 'far2 in A\'s directory');
    await workers.spawn({ name: 'boss', cli: 'bash', args: ['--norc', '--noprofile'] });
    await workers.sendWorkerInput('boss', `printf 'KIND: release\\nNAME: far2\\n\\nno longer needed\\n' > "$AGENT_RELAY_OUTBOX/release"\r`);
    await until(() => b.spawnManager.getWorker('far2')?.status === 'exited', 'far2 released on B');
    expect(b.spawnManager.getWorker('far2')).toMatchObject({ released: true });
    for (const name of ['boss', 'far2']) {
      await workers.release(name, { force: true }).catch(() => undefined);
      await until(() => workers.getWorker(name)?.status === 'exited', `${name} exited`);
      await workers.remove(name);
    }
  });

  it('a worker\'s own spawn command (outbox file with NODE:) starts the worker on that node; a refusal is typed into the worker', async () => {
    const workers = a.cluster.workers;
    const spawnFile = (name: string, node: string) => `printf 'KIND: spawn\\nNAME: ${name}\\nCLI: cat\\nNODE: ${node}\\n\\n' > "$AGENT_RELAY_OUTBOX/spawn"\r`;
    const screenOf = async (name: string) => (await workers.readOutput(name, 0)).data.toString();
    // A worker on B asks for one on A (A allows nested spawns): it runs there, spawned by it.
    await workers.spawn({ name: 'maker-b', cli: 'bash', args: ['--norc', '--noprofile'], node: 'B' });
    await until(() => a.cluster.directory.worker('maker-b'), 'maker-b in A\'s directory');
    await workers.sendWorkerInput('maker-b', spawnFile('made-on-a', 'A'));
    await until(() => a.spawnManager.getWorker('made-on-a')?.status === 'running', 'made-on-a running on A');
    expect(b.spawnManager.getWorker('made-on-a')).toBeUndefined();
    expect(a.spawnManager.getWorker('made-on-a')).toMatchObject({ spawnerName: 'maker-b' });
    // A node no one knows: nothing starts, and the worker is told why in its terminal.
    await workers.sendWorkerInput('maker-b', spawnFile('made-nowhere', 'Nowhere'));
    await expect.poll(() => screenOf('maker-b'), { timeout: 20_000 }).toContain('NO_SUCH_NODE');
    expect(workers.getWorker('made-nowhere')).toBeUndefined();
    // A worker on A asks B, whose policy forbids nested spawns: B's denial is final and said.
    await workers.spawn({ name: 'maker-a', cli: 'bash', args: ['--norc', '--noprofile'] });
    await workers.sendWorkerInput('maker-a', spawnFile('denied-on-b', 'B'));
    await expect.poll(() => screenOf('maker-a'), { timeout: 20_000 }).toContain('POLICY_DENIED');
    expect(b.spawnManager.getWorker('denied-on-b')).toBeUndefined();
    expect(a.spawnManager.getWorker('denied-on-b')).toBeUndefined();
    for (const name of ['maker-a', 'maker-b', 'made-on-a']) {
      await workers.release(name, { force: true }).catch(() => undefined);
      await until(() => workers.getWorker(name)?.status === 'exited', `${name} exited`);
      await workers.remove(name);
    }
  });

  it('over the protocol: SPAWN with node, LIST_WORKERS for the cluster, a message to a remote worker is typed into it', async () => {
    const lead = await RawClient.hello(a.socketPath, 'Lead');
    const spawn = env('SPAWN', { name: 'w2', cli: 'bash', args: ['--norc', '--noprofile'], node: 'B' });
    lead.send(spawn);
    const result = await lead.waitFor((f) => f.type === 'SPAWN_RESULT', 30_000);
    expect(result.payload).toMatchObject({ replyTo: spawn.id, success: true, name: 'w2' });
    const list = env('LIST_WORKERS', {});
    await until(() => a.cluster.directory.worker('w2'), 'w2 in A\'s directory');
    lead.send(list);
    const listed = await lead.waitFor((f) => f.type === 'LIST_WORKERS_RESULT');
    expect((listed.payload as { workers: WorkerInfo[] }).workers.find((w) => w.name === 'w2')).toMatchObject({ node: 'B' });
    // A message from A to the worker on B reaches its terminal.
    lead.send(env('SEND', { kind: 'message', body: 'hello from A' }, { to: 'w2' }));
    const deadline = Date.now() + 20_000;
    let text = '';
    while (Date.now() < deadline && !text.includes('hello from A')) {
      text = (await a.cluster.workers.readOutput('w2', 0)).data.toString();
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(text).toContain('Relay message from Lead');
    expect(text).toContain('hello from A');
    expect(lead.of('ERROR')).toEqual([]);
    const release = env('RELEASE', { name: 'w2', force: true });
    lead.send(release);
    const released = await lead.waitFor((f) => f.type === 'RELEASE_RESULT', 30_000);
    expect(released.payload).toMatchObject({ replyTo: release.id, success: true });
    lead.socket.destroy();
  });
});
