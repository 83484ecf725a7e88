import { expect, type APIRequestContext, type Page } from '@playwright/test';
import type { WorkerInfo } from '../lib/protocol/workers';
import { apiHeaders, serverInfo } from './server-info';

/**
 * Shared steps for the dashboard specs. Terminal text and stream figures are read through the page's
 * test hooks (`window.__agentRelay`, client/terminalSessions.ts).
 */

/** Open the dashboard with the token (sets the cookie) and wait for the live status. */
export async function openDashboard(page: Page): Promise<void> {
  await page.goto(serverInfo().url);
  await expect(page.getByTestId('daemon-status')).toHaveAttribute('data-state', 'live');
}

/** Spawn through the HTTP API (for workers a spec needs but does not test the dialog with). */
export async function spawnViaApi(request: APIRequestContext, body: Record<string, unknown>): Promise<WorkerInfo> {
  const info = serverInfo();
  const res = await request.post(`${info.origin}/api/workers`, { headers: apiHeaders(info), data: body });
  expect(res.status(), await res.text()).toBe(201);
  return (await res.json()) as WorkerInfo;
}

export async function releaseViaApi(request: APIRequestContext, name: string, force = true): Promise<void> {
  const info = serverInfo();
  await request.delete(`${info.origin}/api/workers/${encodeURIComponent(name)}${force ? '?force=1' : ''}`, { headers: apiHeaders(info) }).catch(() => undefined);
}

export async function listWorkersViaApi(request: APIRequestContext): Promise<WorkerInfo[]> {
  const info = serverInfo();
  const res = await request.get(`${info.origin}/api/workers`, { headers: apiHeaders(info) });
  expect(res.status(), await res.text()).toBe(200);
  return ((await res.json()) as { workers: WorkerInfo[] }).workers;
}

export async function sendInputViaApi(request: APIRequestContext, name: string, data: string): Promise<void> {
  const info = serverInfo();
  const res = await request.post(`${info.origin}/api/workers/${encodeURIComponent(name)}/input`, { headers: apiHeaders(info), data: { data } });
  expect(res.status(), await res.text()).toBe(200);
}

/** Text of a worker's terminal (scrollback + screen) as the page holds it. */
export function terminalText(page: Page, name: string): Promise<string> {
  return page.evaluate((n) => window.__agentRelay?.text(n) ?? '', name);
}

export async function expectTerminalText(page: Page, name: string, pattern: RegExp, timeout = 20_000): Promise<void> {
  await expect.poll(() => terminalText(page, name), { timeout, message: `terminal ${name} should match ${pattern}` }).toMatch(pattern);
}

/** Focus a worker from the sidebar list. */
export async function openWorker(page: Page, name: string): Promise<void> {
  await page.getByTestId(`worker-row-${name}`).click();
  await expect(page.getByTestId(`terminal-${name}`)).toBeVisible();
}

/** Click into a terminal and wait until this page drives it, so typed keys reach the worker. */
export async function focusTerminal(page: Page, name: string): Promise<void> {
  await page.getByTestId(`xterm-${name}`).click();
  await expect.poll(() => page.evaluate((n) => window.__agentRelay?.driving(n) ?? false, name)).toBe(true);
}

/** Count lines equal to `line` (after trimming) in a terminal's text. */
export function countLines(text: string, line: string): number {
  return text.split('\n').filter((l) => l.trim() === line).length;
}
