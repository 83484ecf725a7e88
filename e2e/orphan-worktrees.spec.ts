import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test, type APIRequestContext } from '@playwright/test';
import { openDashboard, releaseViaApi, sendInputViaApi, spawnViaApi } from './dashboard-helpers';
import { git, makeRepo } from './git-repo';
import { apiHeaders, serverInfo } from './server-info';

/**
 * Worktrees whose worker is gone (docs/worktrees.md, Lifecycle) in the dashboard: a worker removed
 * with "keep" leaves its worktree listed under the workers, live, with its branch and what is
 * unmerged; Diff shows its changes, Merge puts them on the base branch, Discard (after naming what
 * is lost) deletes worktree and branch, and a discard from elsewhere takes the row away.
 */

const REPO = 'repo-e2e-orphans';
const KEPT = 'orphan-kept';
const DROPPED = 'orphan-dropped';
const ELSEWHERE = 'orphan-elsewhere';

/** A demo worker in a worktree that writes `file`, then is removed with its worktree and branch kept. */
async function leaveOrphan(request: APIRequestContext, name: string, file: string, text: string): Promise<void> {
  const info = serverInfo();
  await spawnViaApi(request, { name, cli: 'demo', cwd: REPO, worktree: true });
  await sendInputViaApi(request, name, `edit ${file} ${text}\r`);
  await expect
    .poll(async () => {
      const res = await request.get(`${info.origin}/api/workers/${name}/changes`, { headers: apiHeaders(info) });
      return ((await res.json()) as { files?: { path: string }[] }).files?.map((f) => f.path) ?? [];
    })
    .toEqual([file]);
  await releaseViaApi(request, name);
  await expect
    .poll(async () => {
      const res = await request.delete(`${info.origin}/api/workers/${name}?remove=1&keep=1`, { headers: apiHeaders(info) });
      return res.status();
    })
    .toBe(200);
}

test.afterAll(async ({ request }) => {
  const info = serverInfo();
  for (const name of [KEPT, DROPPED, ELSEWHERE]) {
    await request.delete(`${info.origin}/api/worktrees/${name}`, { headers: apiHeaders(info) }).catch(() => undefined);
  }
});

test('a worktree whose worker was removed is listed with its branch and changes; Diff, Merge and Discard work from there', async ({ page, request }) => {
  test.setTimeout(120_000);
  const info = serverInfo();
  const repo = makeRepo(join(info.projectRoot, REPO));
  await page.setViewportSize({ width: 1400, height: 860 });
  await openDashboard(page);

  // Removed with "keep" while the page is open: its row moves from the workers to the worktrees left.
  await leaveOrphan(request, KEPT, 'kept.md', 'work that outlived its worker');
  await expect(page.getByTestId(`worker-row-${KEPT}`)).toHaveCount(0);
  const row = page.getByTestId(`orphan-row-${KEPT}`);
  await expect(row).toBeVisible();
  await expect(page.getByTestId(`orphan-branch-${KEPT}`)).toHaveText(`relay/${KEPT}`);
  await expect(page.getByTestId(`orphan-state-${KEPT}`)).toContainText('unmerged 1');
  await expect(page.getByTestId(`orphan-state-${KEPT}`)).toContainText('+1');

  // Diff: its changes, as a pane's Changes tab shows them.
  await page.getByTestId(`orphan-diff-${KEPT}`).click();
  const dialog = page.getByTestId(`orphan-dialog-${KEPT}`);
  await expect(dialog).toBeVisible();
  await expect(dialog.getByTestId(`changes-diff-${KEPT}`)).toContainText('work that outlived its worker');
  await expect(dialog.getByTestId(`changes-file-${KEPT}-kept.md`)).toContainText('+1');

  // Merge: committed first (it was never committed), fast-forwarded into main.
  await expect(dialog.getByTestId(`merge-${KEPT}`)).toHaveText('Commit & merge');
  await dialog.getByTestId(`merge-${KEPT}`).click();
  await expect(dialog.getByTestId(`changes-notice-${KEPT}`)).toContainText('Merged into main (fast-forward)');
  await expect(dialog.getByTestId(`changes-${KEPT}`)).toContainText('No changes against main');
  expect(git(repo, 'show', 'main:kept.md')).toBe('work that outlived its worker');
  await page.getByTestId(`orphan-close-${KEPT}`).click();
  await expect(dialog).toHaveCount(0);
  await expect(page.getByTestId(`orphan-state-${KEPT}`)).toHaveText('merged');

  // Another one, found after a reload (GET /api/worktrees): Discard names what is lost, then deletes it.
  await leaveOrphan(request, DROPPED, 'dropped.md', 'work to throw away');
  await page.reload();
  await expect(page.getByTestId('daemon-status')).toHaveAttribute('data-state', 'live');
  await expect(page.getByTestId(`orphan-state-${DROPPED}`)).toContainText('unmerged 1');
  await page.getByTestId(`orphan-diff-${DROPPED}`).click();
  const second = page.getByTestId(`orphan-dialog-${DROPPED}`);
  await expect(second.getByTestId(`changes-diff-${DROPPED}`)).toContainText('work to throw away');
  await second.getByTestId(`discard-${DROPPED}`).click();
  const confirm = second.getByTestId(`discard-confirm-${DROPPED}`);
  await expect(confirm).toContainText(`branch relay/${DROPPED} with 1 unmerged file(s)`);
  await expect(confirm).not.toContainText('released first');
  await second.getByTestId(`discard-yes-${DROPPED}`).click();
  await expect(second).toHaveCount(0);
  await expect(page.getByTestId(`orphan-row-${DROPPED}`)).toHaveCount(0);
  expect(git(repo, 'branch', '--list', `relay/${DROPPED}`)).toBe('');
  expect(existsSync(join(info.projectRoot, '.agent-relay', 'worktrees', DROPPED))).toBe(false);
  // The merged one is still there: nothing else was touched.
  await expect(page.getByTestId(`orphan-row-${KEPT}`)).toBeVisible();

  // Discarded from elsewhere (the API, as `agent-relay discard` does): the row goes without a reload.
  await leaveOrphan(request, ELSEWHERE, 'elsewhere.md', 'discarded by the CLI');
  await expect(page.getByTestId(`orphan-row-${ELSEWHERE}`)).toBeVisible();
  const res = await request.delete(`${info.origin}/api/worktrees/${ELSEWHERE}`, { headers: apiHeaders(info) });
  expect(res.status(), await res.text()).toBe(200);
  await expect(page.getByTestId(`orphan-row-${ELSEWHERE}`)).toHaveCount(0);
  expect(git(repo, 'branch', '--list', `relay/${ELSEWHERE}`)).toBe('');
});

test('a worker in a worktree is not listed as left while it is listed as a worker', async ({ page, request }) => {
  const info = serverInfo();
  const name = 'orphan-not-yet';
  await openDashboard(page);
  await spawnViaApi(request, { name, cli: 'demo', cwd: REPO, worktree: true });
  await expect(page.getByTestId(`worker-row-${name}`)).toBeVisible();
  await releaseViaApi(request, name);
  await expect(page.getByTestId(`worker-row-${name}`)).toHaveAttribute('data-health', /exited|failed/);
  // Exited but listed: still a worker, not a worktree left.
  await expect(page.getByTestId(`orphan-row-${name}`)).toHaveCount(0);
  const res = await request.delete(`${info.origin}/api/workers/${name}?remove=1`, { headers: apiHeaders(info) });
  expect(res.status(), await res.text()).toBe(200);
  await expect(page.getByTestId(`worker-row-${name}`)).toHaveCount(0);
  // No work: removing took the worktree along, so it is not left either.
  const list = await request.get(`${info.origin}/api/worktrees`, { headers: apiHeaders(info) });
  expect(((await list.json()) as { worktrees: { name: string }[] }).worktrees.map((w) => w.name)).not.toContain(name);
  await expect(page.getByTestId(`orphan-row-${name}`)).toHaveCount(0);
});
