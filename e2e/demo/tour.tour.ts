import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { expectTerminalText, focusTerminal, openDashboard, releaseViaApi, spawnViaApi } from '../dashboard-helpers';

/**
 * The product tour: two demo agents are spawned, talk to each other through the relay, a person types
 * into one of them, then releases it. Video and screenshots land in demo-output/.
 */
const OUT = resolve(import.meta.dirname, '..', '..', 'demo-output');
const LEAD = 'Lead';
const REVIEWER = 'Reviewer';
const HELPER = 'Scout';

async function shot(page: Page, name: string) {
  mkdirSync(OUT, { recursive: true });
  await page.waitForTimeout(400); // let xterm paint the last frame
  await page.screenshot({ path: `${OUT}/${name}.png` });
}

async function slowType(page: Page, text: string) {
  await page.keyboard.type(text, { delay: 45 });
}

test.afterAll(async ({ request }) => {
  for (const n of [LEAD, REVIEWER, HELPER]) await releaseViaApi(request, n);
});

test('tour: spawn two agents, watch them talk, type into one, release it', async ({ page, request }) => {
  await openDashboard(page);
  await shot(page, '01-empty');

  // Spawn the reviewer from the dialog, the way a person would.
  await page.keyboard.press('n');
  const dialog = page.getByTestId('spawn-dialog');
  await dialog.getByTestId('spawn-preset-demo').click();
  await dialog.getByLabel('Name').fill(REVIEWER);
  await dialog.getByLabel('Task').fill('reply to every message');
  await dialog.getByLabel('Team').fill('core');
  await page.waitForTimeout(600);
  await shot(page, '02-spawn-dialog');
  await dialog.getByTestId('spawn-submit').click();
  await expect(dialog).toBeHidden();
  await expectTerminalText(page, REVIEWER, /reply to every message/);

  // A second agent and a helper, side by side.
  await page.getByTestId('grid-2').click();
  await spawnViaApi(request, { name: HELPER, cli: 'demo', team: 'core', spawnerName: LEAD, task: 'wait 60000' });
  await spawnViaApi(request, {
    name: LEAD,
    cli: 'demo',
    team: 'core',
    task: `send ${REVIEWER} please review PR #42 (flow control in the dashboard); block ${REVIEWER} checklist: | 1. acks from the write callback | 2. no duplicate lines after reload`,
  });
  await page.getByTestId(`worker-row-${LEAD}`).click();
  const timeline = page.getByTestId('message-timeline');
  await expect(timeline.locator(`[data-from="${REVIEWER}"][data-to="${LEAD}"]`).first()).toBeVisible();
  await expect(timeline.locator(`[data-from="${REVIEWER}"][data-to="${LEAD}"]`)).toHaveCount(2);
  await page.waitForTimeout(1200);
  await shot(page, '03-agents-talking');

  // A person types into the lead's terminal.
  await focusTerminal(page, LEAD);
  await slowType(page, `send ${REVIEWER} thanks, merging after CI`);
  await page.keyboard.press('Enter');
  await expect(timeline.locator(`[data-from="${REVIEWER}"][data-to="${LEAD}"]`)).toHaveCount(3);

  // And writes to everyone from the composer.
  await page.getByTestId('composer-to').fill(REVIEWER);
  await page.getByTestId('composer-body').click();
  await slowType(page, 'Nice work, both of you.');
  await page.keyboard.press('Enter');
  await expect(timeline.locator(`[data-from="${REVIEWER}"][data-to="Dashboard"]`)).toBeVisible();
  await page.waitForTimeout(1000);
  await shot(page, '04-person-typing');

  // Four terminals at once.
  await page.getByTestId('grid-4').click();
  await page.waitForTimeout(1000);
  await shot(page, '05-grid');

  // Release the reviewer: its status shows how it ended.
  await page.getByTestId('grid-2').click();
  await page.getByTestId(`worker-row-${REVIEWER}`).click();
  await page.getByTestId(`release-${REVIEWER}`).click();
  await expect(page.getByTestId(`terminal-status-${REVIEWER}`)).toHaveText(/released/);
  await page.waitForTimeout(800);
  await shot(page, '06-released');

  // The phone layout, on the lead's terminal.
  await page.getByTestId(`worker-row-${LEAD}`).click();
  await page.setViewportSize({ width: 390, height: 844 });
  await page.getByTestId('tab-terminal').click();
  await page.waitForTimeout(800);
  await shot(page, '07-phone');
});

test('tour: an agent in its own git worktree, its changes live in the dashboard, merged from there', async ({ page, request }) => {
  // A small repository inside the tour's project (docs/worktrees.md).
  const { execFileSync } = await import('node:child_process');
  const { writeFileSync } = await import('node:fs');
  const { serverInfo } = await import('../server-info');
  const repo = resolve(serverInfo().projectRoot, 'webapp');
  mkdirSync(repo, { recursive: true });
  const git = (...args: string[]) => execFileSync('git', ['-c', 'user.name=Tour', '-c', 'user.email=tour@example.invalid', ...args], { cwd: repo });
  git('init', '--quiet', '--initial-branch=main');
  writeFileSync(resolve(repo, 'greet.js'), 'export function greet(name) {\n  return "hi " + name;\n}\n');
  git('add', '-A');
  git('commit', '--quiet', '-m', 'greet');

  await openDashboard(page);
  await page.getByTestId('grid-1').click();
  await page.keyboard.press('n');
  const dialog = page.getByTestId('spawn-dialog');
  await dialog.getByTestId('spawn-preset-demo').click();
  await dialog.getByLabel('Name').fill('Builder');
  await dialog.getByLabel('Working directory').fill('webapp');
  await dialog.getByTestId('spawn-worktree').check();
  await page.waitForTimeout(600);
  await shot(page, '08-worktree-dialog');
  await dialog.getByTestId('spawn-submit').click();
  await expect(dialog).toBeHidden();
  await expectTerminalText(page, 'Builder', /I am Builder/);

  await focusTerminal(page, 'Builder');
  await slowType(page, 'edit greet.js export function greet(name) {|  if (!name) return "hi there"|  return `hi ${name}!`|}');
  await page.keyboard.press('Enter');
  await expectTerminalText(page, 'Builder', /edited greet\.js/);
  await page.getByTestId('changes-tab-Builder').click();
  await expect(page.getByTestId('changes-diff-Builder')).toContainText('hi there');
  await page.waitForTimeout(800);
  await shot(page, '09-worktree-changes');

  await page.getByTestId('merge-Builder').click();
  await expect(page.getByTestId('changes-notice-Builder')).toContainText('Merged into main');
  await page.waitForTimeout(800);
  await shot(page, '10-worktree-merged');
  await releaseViaApi(request, 'Builder');
});
