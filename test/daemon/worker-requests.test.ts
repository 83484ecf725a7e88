import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { WorkerError, type InjectAction, type ReleaseOutcome, type SpawnRequest, type WorkerInfo } from '../../lib/protocol';
import type { SpawnContext, SpawnManagerApi } from '../../server/spawn/types';
import { RawClient, env, startTestDaemon, type TestDaemon } from './helpers';

/**
 * A SpawnManagerApi that records calls. The daemon's job here is the protocol mapping (request →
 * call → *_RESULT); the real SpawnManager and its PTYs are tested in server/spawn.
 */
class RecordingSpawnManager extends EventEmitter {
  calls: { method: string; args: unknown[] }[] = [];
  workers: WorkerInfo[] = [];

  async spawn(request: SpawnRequest, context?: SpawnContext): Promise<WorkerInfo> {
    this.calls.push({ method: 'spawn', args: [request, context] });
    if (request.name === 'Taken') throw new WorkerError('NAME_TAKEN', 'A worker named "Taken" is already running; choose another name.', 'name');
    const info: WorkerInfo = {
      name: request.name, cli: request.cli, args: request.args ?? [], task: request.task ?? '', cwd: request.cwd ?? '/tmp',
      pid: 4242, spawnerName: request.spawnerName, spawnedAt: Date.now(), status: 'running', cols: 80, rows: 24, outputBytes: 0,
    };
    this.workers.push(info);
    return info;
  }
  async release(name: string, options?: { force?: boolean; reason?: string }): Promise<ReleaseOutcome> {
    this.calls.push({ method: 'release', args: [name, options] });
    if (name === 'Ghost') throw new WorkerError('NOT_FOUND', 'No worker named "Ghost"; list workers to see the names.');
    return { name, exitCode: 0, signal: null, endedBy: 'SIGTERM' };
  }
  sendWorkerInput(name: string, data: string | Buffer): void {
    this.calls.push({ method: 'sendWorkerInput', args: [name, data] });
    if (name === 'Exited') throw new WorkerError('NOT_RUNNING', 'Worker "Exited" has exited; spawn it again.');
  }
  setInjectMode(name: string, action: InjectAction) {
    this.calls.push({ method: 'setInjectMode', args: [name, action] });
    if (name === 'Exited') throw new WorkerError('NOT_RUNNING', 'Worker "Exited" has exited; spawn it again.');
    return { injection: { mode: action === 'auto' ? ('auto' as const) : ('hold' as const), pending: 2, held: action === 'hold' ? 2 : 0 }, flushed: action === 'flush' ? 2 : 0 };
  }
  listWorkers(): WorkerInfo[] {
    return this.workers;
  }
  resize(): void {}
  getWorker(name: string) {
    return this.workers.find((w) => w.name === name);
  }
  async readOutput(): Promise<never> {
    throw new Error('not used');
  }
  async snapshot(): Promise<never> {
    throw new Error('not used');
  }
  remove(): void {}
  async releaseAll(): Promise<void> {}
}

let d: TestDaemon;
let c: RawClient | undefined;
afterEach(async () => {
  c?.close();
  await d?.stop();
});

async function request(type: string, payload: unknown) {
  const frame = env(type, payload);
  c!.send(frame);
  const result = await c!.waitFor((f) => f.type === `${type}_RESULT` && (f.payload as { replyTo: string }).replyTo === frame.id);
  expect(result.id).not.toBe(frame.id);
  return result.payload as Record<string, unknown>;
}

describe('worker requests', () => {
  it('spawns with spawnerName defaulting to the connection name and the connection as requester', async () => {
    const manager = new RecordingSpawnManager();
    d = await startTestDaemon({ daemon: { spawnManager: manager as unknown as SpawnManagerApi } });
    c = await RawClient.hello(d.socketPath, 'Lead');
    expect(await request('SPAWN', { name: 'W1', cli: 'bash', task: 'count' })).toMatchObject({ success: true, name: 'W1', pid: 4242 });
    expect(manager.calls[0].args).toEqual([
      expect.objectContaining({ name: 'W1', cli: 'bash', task: 'count', spawnerName: 'Lead' }),
      { requester: 'Lead', trusted: false },
    ]);
    expect(d.daemon.status().workerCount).toBe(1);
  });

  it('answers a WorkerError as success:false with its sentence and code', async () => {
    d = await startTestDaemon({ daemon: { spawnManager: new RecordingSpawnManager() as unknown as SpawnManagerApi } });
    c = await RawClient.hello(d.socketPath, 'Lead');
    expect(await request('SPAWN', { name: 'Taken', cli: 'bash' })).toMatchObject({ success: false, code: 'NAME_TAKEN', name: 'Taken', error: expect.stringContaining('already running') });
    expect(await request('RELEASE', { name: 'Ghost' })).toMatchObject({ success: false, code: 'NOT_FOUND' });
    expect(await request('SEND_INPUT', { name: 'Exited', data: 'x' })).toMatchObject({ success: false, code: 'NOT_RUNNING' });
    expect(await request('SET_INJECT_MODE', { name: 'Exited', mode: 'hold' })).toMatchObject({ success: false, code: 'NOT_RUNNING' });
  });

  it('answers an invalid request as success:false with a code, without calling the manager', async () => {
    const manager = new RecordingSpawnManager();
    d = await startTestDaemon({ daemon: { spawnManager: manager as unknown as SpawnManagerApi } });
    c = await RawClient.hello(d.socketPath, 'Lead');
    expect(await request('SPAWN', { name: 'bad name!', cli: 'bash' })).toMatchObject({ success: false, code: 'INVALID_NAME' });
    expect(await request('SPAWN', { name: 'W2' })).toMatchObject({ success: false, code: 'BAD_REQUEST', error: expect.stringContaining('cli') });
    expect(await request('SEND_INPUT', { name: 'W2' })).toMatchObject({ success: false, code: 'BAD_REQUEST' });
    expect(await request('SET_INJECT_MODE', { name: 'W2', mode: 'later' })).toMatchObject({ success: false, code: 'BAD_REQUEST', name: 'W2', error: expect.stringContaining('mode') });
    expect(manager.calls).toEqual([]);
  });

  it('releases, sends input and lists workers', async () => {
    const manager = new RecordingSpawnManager();
    d = await startTestDaemon({ daemon: { spawnManager: manager as unknown as SpawnManagerApi } });
    c = await RawClient.hello(d.socketPath, 'Lead');
    await request('SPAWN', { name: 'W1', cli: 'bash' });
    expect(await request('SEND_INPUT', { name: 'W1', data: 'ls\r' })).toMatchObject({ success: true, name: 'W1' });
    expect(await request('SET_INJECT_MODE', { name: 'W1', mode: 'flush' })).toMatchObject({ success: true, name: 'W1', injection: { mode: 'hold', pending: 2, held: 0 }, flushed: 2 });
    expect(await request('LIST_WORKERS', {})).toMatchObject({ workers: [expect.objectContaining({ name: 'W1', status: 'running' })] });
    expect(await request('RELEASE', { name: 'W1', force: true })).toMatchObject({ success: true, name: 'W1', exitCode: 0, endedBy: 'SIGTERM' });
    expect(manager.calls.map((x) => x.method)).toEqual(['spawn', 'sendWorkerInput', 'setInjectMode', 'release']);
    expect(manager.calls[2].args).toEqual(['W1', 'flush']);
    expect(manager.calls[3].args).toEqual(['W1', { force: true, reason: undefined }]);
  });

  it('answers INTERNAL "workers are not available" when the daemon has no SpawnManager', async () => {
    d = await startTestDaemon();
    c = await RawClient.hello(d.socketPath, 'Lead');
    for (const type of ['SPAWN', 'RELEASE', 'SEND_INPUT', 'SET_INJECT_MODE']) {
      expect(await request(type, { name: 'W1', cli: 'bash', data: 'x', mode: 'hold' })).toMatchObject({ success: false, code: 'INTERNAL', error: 'workers are not available in this daemon' });
    }
    expect(await request('LIST_WORKERS', {})).toMatchObject({ workers: [], error: 'workers are not available in this daemon' });
  });

  it('refuses worker requests before HELLO', async () => {
    d = await startTestDaemon({ daemon: { spawnManager: new RecordingSpawnManager() as unknown as SpawnManagerApi } });
    c = await RawClient.connect(d.socketPath);
    const frame = env('SPAWN', { name: 'W1', cli: 'bash' });
    c.send(frame);
    expect((await c.waitFor((f) => f.type === 'ERROR')).payload).toMatchObject({ code: 'BAD_REQUEST', fatal: false, replyTo: frame.id });
  });
});
