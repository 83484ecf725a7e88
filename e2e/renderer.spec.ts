import { chromium, expect, test, type Browser, type Page } from '@playwright/test';
import { CHROMIUM_ARGS } from '../playwright.config';
import { expectTerminalText, focusTerminal, openDashboard, openWorker, releaseViaApi, spawnViaApi } from './dashboard-helpers';

/**
 * The terminal's renderer (client/renderer.ts): xterm's DOM renderer where WebGL would run on the
 * CPU, WebGL where asked for (or where a GPU is), and the pane's header says which and why. Headless
 * Chromium here has no GPU: with --disable-gpu there is no WebGL at all; with SwiftShader there is a
 * software WebGL, which the detection must refuse, and which the override can still turn on.
 */
const NAME = 'e2e-renderer';
const SWIFTSHADER_ARGS = CHROMIUM_ARGS.filter((a) => a !== '--disable-gpu').concat(['--use-angle=swiftshader', '--enable-unsafe-swiftshader']);

test.beforeAll(async ({ request }) => {
  await spawnViaApi(request, { name: NAME, cli: 'bash', args: ['--norc', '--noprofile'] });
});
test.afterAll(async ({ request }) => releaseViaApi(request, NAME));

async function paneRenderer(page: Page): Promise<{ kind: string | null; label: string; reason: string | null }> {
  const pane = page.getByTestId(`terminal-${NAME}`);
  await expect(pane).toHaveAttribute('data-renderer', /^(dom|webgl)$/);
  const label = page.getByTestId(`terminal-renderer-${NAME}`);
  return { kind: await pane.getAttribute('data-renderer'), label: (await label.textContent()) ?? '', reason: await label.getAttribute('title') };
}

async function typeAndSee(page: Page, marker: string): Promise<void> {
  await focusTerminal(page, NAME);
  await page.keyboard.type(`echo ${marker}-$((6*7))`);
  await page.keyboard.press('Enter');
  await expectTerminalText(page, NAME, new RegExp(`^${marker}-42$`, 'm'));
}

test('without a GPU the pane uses the DOM renderer and says why', async ({ page }) => {
  await page.setViewportSize({ width: 1400, height: 860 });
  await openDashboard(page);
  await openWorker(page, NAME);
  const r = await paneRenderer(page);
  expect(r.kind).toBe('dom');
  expect(r.label).toBe('DOM');
  expect(r.reason).toMatch(/^Renderer: DOM: (no WebGL2 in this browser|WebGL is software-only here)/);
  await expect(page.locator(`[data-testid="xterm-${NAME}"] .xterm-rows`)).toBeVisible();
  await typeAndSee(page, 'dom');
});

test('while a terminal has the keyboard nothing in the page animates (decision 0016: no frame for the echo to wait on)', async ({ page }) => {
  await page.setViewportSize({ width: 1400, height: 860 });
  await openDashboard(page);
  await openWorker(page, NAME);
  const running = () => page.evaluate(() => document.getAnimations().filter((a) => a.playState === 'running').map((a) => (a as CSSAnimation).animationName ?? a.constructor.name));
  // The worker's status dot pulses while the focus is elsewhere: the check below can see animations.
  await page.locator('body').click({ position: { x: 5, y: 5 } });
  await expect.poll(running).toContain('pulse-ring');
  await typeAndSee(page, 'steady');
  expect(await running()).toEqual([]);
});

test.describe('in a Chromium with software WebGL (SwiftShader)', () => {
  let browser: Browser;
  test.beforeAll(async () => {
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: SWIFTSHADER_ARGS });
  });
  test.afterAll(async () => browser?.close());

  test('the detection refuses software WebGL and keeps the DOM renderer', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 860 } });
    await openDashboard(page);
    await openWorker(page, NAME);
    const r = await paneRenderer(page);
    expect(r.kind).toBe('dom');
    expect(r.reason).toMatch(/WebGL is software-only here/);
    await page.close();
  });

  test('the override turns WebGL on: the terminal draws on a canvas, shows what is typed and says WebGL', async () => {
    const context = await browser.newContext({ viewport: { width: 1400, height: 860 } });
    await context.addInitScript(() => window.localStorage.setItem('agent-relay.renderer', 'webgl'));
    const page = await context.newPage();
    await openDashboard(page);
    await openWorker(page, NAME);
    await expect(page.getByTestId(`terminal-${NAME}`)).toHaveAttribute('data-renderer', 'webgl');
    const r = await paneRenderer(page);
    expect(r.label).toBe('WebGL');
    expect(r.reason).toMatch(/set by localStorage agent-relay\.renderer/);
    await expect(page.locator(`[data-testid="xterm-${NAME}"] .xterm-screen canvas`).first()).toBeVisible();
    // The DOM renderer's rows are gone: WebGL draws the text.
    await expect(page.locator(`[data-testid="xterm-${NAME}"] .xterm-rows`)).toHaveCount(0);
    await typeAndSee(page, 'webgl');
    await context.close();
  });
});
