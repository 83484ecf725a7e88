import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publishRuntime } from '../../server/runtime';
import * as workersRoute from '../../app/api/workers/route';
import * as workerRoute from '../../app/api/workers/[name]/route';
import * as changesRoute from '../../app/api/workers/[name]/changes/route';
import * as commitRoute from '../../app/api/workers/[name]/commit/route';
import * as mergeRoute from '../../app/api/workers/[name]/merge/route';
import * as patchRoute from '../../app/api/workers/[name]/patch/route';
import * as worktreesRoute from '../../app/api/worktrees/route';
import * as worktreeRoute from '../../app/api/worktrees/[name]/route';
import * as openapiRoute from '../../app/api/openapi.json/route';
import type { Changes } from '../../lib/protocol';
import { waitFor } from '../spawn/helpers';
import { git, makeStack, type WorktreeStack } from './helpers';

/** The worktree routes as Next calls them, against a real SpawnManager + WorktreeManager and real git. */

let s: WorktreeStack;
beforeAll(() => {
  s = makeStack({ 'app.txt': 'v1\n' });
  publishRuntime({
    router: s.router,
    spawnManager: s.spawnManager,
    worktrees: s.worktrees,
    config: { version: '0.0.0-test', projectRoot: s.projectRoot, socketPath: '', dataDir: s.dataDir, dashboardUrl: '', startedAt: Date.now(), storageDriver: 'memory' },
    status: () => ({ version: '0.0.0-test', uptime: 1, agentCount: 0, workerCount: 0, socketPath: '', storage: { persistent: false, driver: 'memory', canRead: true, canWrite: true } }),
  });
});
afterAll(async () => {
  publishRuntime(undefined);
  await s.close();
});

const url = (path: string) => `http://127.0.0.1/api${path}`;
const post = (path: string, body: unknown) => new Request(url(path), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
const params = (name: string) => ({ params: Promise.resolve({ name }) });
async function error(res: Response): Promise<{ status: number; code: string; field?: string; files?: string[]; message: string }> {
  const body = (await res.json()) as { error: { code: string; message: string; field?: string; files?: string[] } };
  return { status: res.status, ...body.error };
}

describe('worktree routes', () => {
  it('spawn refusals are 4xx JSON errors with the worktree field', async () => {
    const plain = join(s.root, 'plain');
    mkdirSync(plain, { recursive: true });
    const cases: Array<[unknown, number, string]> = [
      [{ name: 'e1', cli: 'demo', cwd: plain, worktree: true }, 422, 'NOT_A_REPOSITORY'],
      [{ name: 'e2', cli: 'demo', worktree: { base: 'nope' } }, 422, 'UNKNOWN_BASE'],
      [{ name: 'e3', cli: 'demo', worktree: { branch: 'main' } }, 409, 'BRANCH_TAKEN'],
      [{ name: 'e4', cli: 'demo', worktree: { base: 42 } }, 400, 'BAD_REQUEST'],
    ];
    for (const [body, status, code] of cases) {
      const e = await error(await workersRoute.POST(post('/workers', body)));
      expect([e.status, e.code]).toEqual([status, code]);
      expect(e.message.length).toBeGreaterThan(20);
    }
    writeFileSync(join(s.projectRoot, 'app.txt'), 'dirty\n');
    const dirty = await error(await workersRoute.POST(post('/workers', { name: 'e5', cli: 'demo', worktree: true })));
    expect(dirty).toMatchObject({ status: 409, code: 'DIRTY_BASE', field: 'worktree', files: ['app.txt'] });
    git(s.projectRoot, 'checkout', '--', 'app.txt');
    const saved = process.env.AGENT_RELAY_GIT;
    process.env.AGENT_RELAY_GIT = '/nonexistent/git';
    try {
      expect(await error(await workersRoute.POST(post('/workers', { name: 'e6', cli: 'demo', worktree: true })))).toMatchObject({ status: 422, code: 'GIT_MISSING' });
    } finally {
      if (saved === undefined) delete process.env.AGENT_RELAY_GIT;
      else process.env.AGENT_RELAY_GIT = saved;
    }
  });

  it('changes, commit, merge, patch, and removal that asks before deleting unmerged work', async () => {
    const created = await workersRoute.POST(post('/workers', { name: 'web', cli: 'demo', worktree: true, task: 'bump app.txt' }));
    expect(created.status).toBe(201);
    const info = (await created.json()) as { worktree: { path: string; branch: string } };
    expect(info.worktree.branch).toBe('relay/web');
    await waitFor(() => s.spawnManager.getWorker('web')?.taskDelivered, 15_000, 'the task to be typed in first');
    s.spawnManager.sendWorkerInput('web', 'edit app.txt v2|extra\r');
    await waitFor(() => existsSync(join(info.worktree.path, 'app.txt')) && readFileSync(join(info.worktree.path, 'app.txt'), 'utf8') === 'v2\nextra\n', 10_000, 'the edit');

    const changes = (await (await changesRoute.GET(new Request(url('/workers/web/changes')), params('web'))).json()) as Changes;
    expect(changes.files).toEqual([{ path: 'app.txt', status: 'modified', additions: 2, deletions: 1, binary: false }]);
    expect(changes.diff).toContain('+v2');
    const one = (await (await changesRoute.GET(new Request(url('/workers/web/changes?file=app.txt')), params('web'))).json()) as Changes;
    expect(one.files).toHaveLength(1);
    expect((await error(await changesRoute.GET(new Request(url('/workers/nobody/changes')), params('nobody')))).status).toBe(404);
    expect(await error(await changesRoute.GET(new Request(url('/workers/web/changes?file=../../etc/passwd')), params('web')))).toMatchObject({ status: 400, code: 'BAD_REQUEST' });

    const patch = await patchRoute.GET(new Request(url('/workers/web/patch')), params('web'));
    expect(patch.headers.get('content-type')).toContain('text/x-diff');
    expect(await patch.text()).toContain('+extra');

    expect(await error(await mergeRoute.POST(post('/workers/web/merge', { strategy: 'ff' }), params('web')))).toMatchObject({ status: 409, code: 'UNCOMMITTED_CHANGES' });
    expect(await error(await mergeRoute.POST(post('/workers/web/merge', { strategy: 'sideways' }), params('web')))).toMatchObject({ status: 400, code: 'BAD_REQUEST' });
    const commit = await commitRoute.POST(post('/workers/web/commit', {}), params('web'));
    expect(commit.status).toBe(201);
    expect(await commit.json()).toMatchObject({ message: 'bump app.txt', files: 1 });
    expect(await error(await commitRoute.POST(post('/workers/web/commit', {}), params('web')))).toMatchObject({ status: 409, code: 'NOTHING_TO_COMMIT' });

    // Release keeps the worktree; removing asks first (409 naming the files), keep=1 keeps it listed.
    expect((await workerRoute.DELETE(new Request(url('/workers/web'), { method: 'DELETE' }), params('web'))).status).toBe(200);
    expect(existsSync(info.worktree.path)).toBe(true);
    const ask = await error(await workerRoute.DELETE(new Request(url('/workers/web?remove=1'), { method: 'DELETE' }), params('web')));
    expect(ask).toMatchObject({ status: 409, code: 'UNMERGED_WORK', files: ['app.txt'] });
    expect(ask.message).toContain('discard=1');
    expect(s.spawnManager.getWorker('web')).toBeDefined();

    const merged = await mergeRoute.POST(post('/workers/web/merge', { strategy: 'merge' }), params('web'));
    expect(merged.status).toBe(200);
    expect(await merged.json()).toMatchObject({ merged: true, baseBranch: 'main', checkout: s.projectRoot });
    expect(readFileSync(join(s.projectRoot, 'app.txt'), 'utf8')).toBe('v2\nextra\n');
    // Merged: removal takes worktree and branch with it, no question asked.
    expect((await workerRoute.DELETE(new Request(url('/workers/web?remove=1'), { method: 'DELETE' }), params('web'))).status).toBe(200);
    expect(existsSync(info.worktree.path)).toBe(false);
    expect(git(s.projectRoot, 'branch', '--list', 'relay/web')).toBe('');
  });

  it('lists worktrees without a worker and discards them; discard=1 deletes unmerged work on remove', async () => {
    await workersRoute.POST(post('/workers', { name: 'keepme', cli: 'demo', worktree: true }));
    await workersRoute.POST(post('/workers', { name: 'dropme', cli: 'demo', worktree: true }));
    for (const n of ['keepme', 'dropme']) {
      s.spawnManager.sendWorkerInput(n, `edit ${n}.txt work of ${n}\r`);
      const path = join(s.spawnManager.getWorker(n)!.worktree!.path, `${n}.txt`);
      await waitFor(() => existsSync(path), 10_000, `${n} edit`);
    }
    expect((await workerRoute.DELETE(new Request(url('/workers/dropme?remove=1&discard=1'), { method: 'DELETE' }), params('dropme'))).status).toBe(200);
    expect(git(s.projectRoot, 'branch', '--list', 'relay/dropme')).toBe('');
    expect((await workerRoute.DELETE(new Request(url('/workers/keepme?remove=1&keep=1'), { method: 'DELETE' }), params('keepme'))).status).toBe(200);
    const list = (await (await worktreesRoute.GET()).json()) as { worktrees: Array<{ name: string; hasWorker: boolean }> };
    expect(list.worktrees).toEqual([expect.objectContaining({ name: 'keepme', hasWorker: false })]);
    // The orphan's changes are still readable by name.
    expect(((await (await changesRoute.GET(new Request(url('/workers/keepme/changes')), params('keepme'))).json()) as Changes).diff).toContain('+work of keepme');
    const gone = await worktreeRoute.DELETE(new Request(url('/worktrees/keepme'), { method: 'DELETE' }), params('keepme'));
    expect(await gone.json()).toMatchObject({ name: 'keepme', removed: [expect.stringContaining('keepme'), 'branch relay/keepme'] });
    expect(((await (await worktreesRoute.GET()).json()) as { worktrees: unknown[] }).worktrees).toEqual([]);
  });

  it('the OpenAPI document describes the worktree routes and the spawn option', async () => {
    const doc = (await (await openapiRoute.GET()).json()) as { paths: Record<string, unknown>; components: { schemas: Record<string, { properties?: Record<string, unknown> }> } };
    for (const p of ['/api/workers/{name}/changes', '/api/workers/{name}/commit', '/api/workers/{name}/merge', '/api/workers/{name}/patch', '/api/worktrees', '/api/worktrees/{name}']) {
      expect(doc.paths[p]).toBeDefined();
    }
    expect(doc.components.schemas.SpawnRequest.properties?.worktree).toBeDefined();
    expect(doc.components.schemas.Changes.properties?.files).toBeDefined();
  });
});
