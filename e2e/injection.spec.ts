import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { expect, test, type APIRequestContext } from '@playwright/test';
import type { StoredMessageView } from '../lib/protocol/queries';
import { expectTerminalText, focusTerminal, openDashboard, openWorker, releaseViaApi, spawnViaApi, terminalText } from './dashboard-helpers';
import { apiHeaders, serverInfo } from './server-info';

/**
 * Messages typed into a worker never trample the person at its terminal: one that arrives while
 * they type waits until they pause; hold / flush / auto from the pane's Deliveries menu and from
 * `agent-relay inject` keep messages queued and deliver them in order.
 */

const TYPING = 'e2e-typing';
const HOLD = 'e2e-hold';
const CLI_HOLD = 'e2e-cli-hold';
const BASH = { cli: 'bash', args: ['--norc', '--noprofile'], env: { PS1: '$ ' } };

test.afterAll(async ({ request }) => {
  for (const name of [TYPING, HOLD, CLI_HOLD]) await releaseViaApi(request, name);
});

async function sendViaApi(request: APIRequestContext, to: string, body: string): Promise<void> {
  const info = serverInfo();
  const res = await request.post(`${info.origin}/api/messages`, { headers: apiHeaders(info), data: { to, body } });
  expect(res.status(), await res.text()).toBe(201);
}

async function statusesTo(request: APIRequestContext, to: string): Promise<string[]> {
  const info = serverInfo();
  const res = await request.get(`${info.origin}/api/messages?agent=${encodeURIComponent(to)}&limit=50`, { headers: apiHeaders(info) });
  const { messages } = (await res.json()) as { messages: StoredMessageView[] };
  return messages
    .filter((m) => m.to === to)
    .sort((a, b) => a.timestamp - b.timestamp)
    .map((m) => `${m.body}:${m.status}`);
}

const run = promisify(execFile);
/** `agent-relay …` against the e2e server, the way a person runs it in another terminal. */
async function cli(...args: string[]): Promise<string> {
  const info = serverInfo();
  const bin = resolve(import.meta.dirname, '..', 'bin', 'agent-relay.js');
  const { stdout } = await run(process.execPath, [bin, '--socket', info.socketPath, ...args], {
    cwd: info.projectRoot,
    env: { ...process.env, AGENT_RELAY_HOME: info.home },
    timeout: 30_000,
  });
  return stdout;
}

test('a message that arrives while a person types in the terminal waits until they pause, then comes after their line', async ({ page, request }) => {
  test.setTimeout(90_000);
  await spawnViaApi(request, { name: TYPING, ...BASH });
  await openDashboard(page);
  await openWorker(page, TYPING);
  await expectTerminalText(page, TYPING, /\$ $/m);
  await focusTerminal(page, TYPING);

  // The person starts a command, slowly; a message arrives in the middle of it. They keep typing,
  // a key every 250 ms (the rest of their word, then dots), until the checks below are done: the
  // guard lets a message in after 3 s without a key, and on a loaded machine the send and the
  // checks can take longer than that. A pause of theirs would rightly let it in; this is no pause.
  await page.keyboard.type('echo typed-', { delay: 250 });
  let checked = false;
  let dots = 0;
  const typing = (async () => {
    await page.keyboard.type('by-a-person', { delay: 250 });
    while (!checked) {
      if (++dots > 240) throw new Error('the checks took over a minute while the person kept typing');
      await page.keyboard.type('.');
      await page.waitForTimeout(250);
    }
  })();
  try {
    await sendViaApi(request, TYPING, 'echo from-the-relay');
    // While they type the message waits, and the pane says so (with why, in its title).
    const waiting = page.getByTestId(`waiting-count-${TYPING}`);
    await expect(waiting).toHaveText('1');
    await expect(page.getByTestId(`inject-menu-${TYPING}`)).toHaveAttribute('title', /typing/);
    expect(await terminalText(page, TYPING)).not.toContain('Relay message');
  } finally {
    checked = true;
    await typing;
  }
  await page.keyboard.press('Enter');

  // Their line ran whole; the message was typed after it, on a prompt of its own.
  await expectTerminalText(page, TYPING, /^typed-by-a-person\.*$/m);
  await expectTerminalText(page, TYPING, /^\$ Relay message from Dashboard \[[^\]]{8}\]: echo from-the-relay$/m);
  const text = await terminalText(page, TYPING);
  expect(text.indexOf('typed-by-a-person')).toBeLessThan(text.indexOf('Relay message from Dashboard'));
  await expect(page.getByTestId(`waiting-count-${TYPING}`)).toHaveCount(0);
  await expect.poll(() => statusesTo(request, TYPING)).toEqual(['echo from-the-relay:acked']);
});

test('hold then flush from the pane menu delivers the held messages in order; auto resumes', async ({ page, request }) => {
  test.setTimeout(90_000);
  await spawnViaApi(request, { name: HOLD, ...BASH });
  await openDashboard(page);
  await openWorker(page, HOLD);
  await expectTerminalText(page, HOLD, /\$ $/m);

  const menu = page.getByTestId(`inject-menu-${HOLD}`);
  await menu.click();
  await expect(page.getByTestId(`deliveries-${HOLD}`)).toBeVisible();
  await page.getByTestId(`inject-hold-${HOLD}`).click();
  await expect(menu).toHaveAttribute('data-mode', 'hold');

  for (const n of [1, 2, 3]) await sendViaApi(request, HOLD, `echo held-${n}`);
  await expect(page.getByTestId(`held-count-${HOLD}`)).toHaveText('3');
  await expect(page.getByTestId(`held-row-${HOLD}`)).toHaveText('held 3');
  await expect(page.getByTestId(`deliveries-state-${HOLD}`)).toHaveText(/Holding 3 messages/);
  expect(await terminalText(page, HOLD)).not.toContain('Relay message');
  expect(await statusesTo(request, HOLD)).toEqual(['echo held-1:delivered', 'echo held-2:delivered', 'echo held-3:delivered']);

  // A reload keeps the hold (it is the worker's, not the page's) and shows it at once.
  await page.reload();
  await expect(page.getByTestId('daemon-status')).toHaveAttribute('data-state', 'live');
  await expect(page.getByTestId(`held-count-${HOLD}`)).toHaveText('3');

  await page.getByTestId(`inject-flush-${HOLD}`).click();
  await expectTerminalText(page, HOLD, /held-3$/m);
  await expect.poll(() => statusesTo(request, HOLD)).toEqual(['echo held-1:acked', 'echo held-2:acked', 'echo held-3:acked']);
  const text = await terminalText(page, HOLD);
  const at = [1, 2, 3].map((n) => text.search(new RegExp(`^\\$ Relay message from Dashboard \\[[^\\]]{8}\\]: echo held-${n}$`, 'm')));
  expect(at.every((i) => i >= 0), text).toBe(true);
  expect([...at].sort((a, b) => a - b)).toEqual(at);
  // Still holding what comes next, until auto.
  await expect(page.getByTestId(`held-count-${HOLD}`)).toHaveText('0');
  await sendViaApi(request, HOLD, 'echo after-flush');
  await expect(page.getByTestId(`held-count-${HOLD}`)).toHaveText('1');
  await page.getByTestId(`inject-auto-${HOLD}`).click();
  await expect(menu).toHaveAttribute('data-mode', 'auto');
  await expectTerminalText(page, HOLD, /: echo after-flush$/m);
  await expect(page.getByTestId(`held-count-${HOLD}`)).toHaveCount(0);
});

test('agent-relay inject hold / flush from another terminal shows in the dashboard and delivers in order', async ({ page, request }) => {
  test.setTimeout(90_000);
  await spawnViaApi(request, { name: CLI_HOLD, ...BASH });
  await openDashboard(page);
  await openWorker(page, CLI_HOLD);
  await expectTerminalText(page, CLI_HOLD, /\$ $/m);

  expect(await cli('inject', 'hold', CLI_HOLD)).toContain(`Holding deliveries to ${CLI_HOLD}.`);
  await expect(page.getByTestId(`inject-menu-${CLI_HOLD}`)).toHaveAttribute('data-mode', 'hold');
  await sendViaApi(request, CLI_HOLD, 'echo cli-1');
  await sendViaApi(request, CLI_HOLD, 'echo cli-2');
  await expect(page.getByTestId(`held-count-${CLI_HOLD}`)).toHaveText('2');
  expect(await cli('workers')).toMatch(new RegExp(`${CLI_HOLD} +bash +(running|idle) \\(held 2\\)`));

  expect(await cli('inject', 'flush', CLI_HOLD)).toContain('Released 2 held messages');
  await expectTerminalText(page, CLI_HOLD, /: echo cli-2$/m);
  const text = await terminalText(page, CLI_HOLD);
  expect(text.indexOf(': echo cli-1')).toBeLessThan(text.indexOf(': echo cli-2'));
  expect(await cli('inject', 'auto', CLI_HOLD)).toMatch(/automatic/);
  await expect(page.getByTestId(`inject-menu-${CLI_HOLD}`)).toHaveAttribute('data-mode', 'auto');
});
