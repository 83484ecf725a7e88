import { existsSync, mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { defineConfig } from '@playwright/test';
import { CHROMIUM_ARGS } from '../playwright.config';

/**
 * `npm run demo`: the scripted tour in e2e/demo/, against the same production server the e2e setup
 * starts, recorded as a video with screenshots under demo-output/.
 */
const REPO = resolve(import.meta.dirname, '..');
const OUT = join(REPO, 'demo-output');

/**
 * Playwright records video with its own downloaded ffmpeg, and this project never downloads browser
 * bits. When that build is absent, point Playwright's registry (read by the test workers, which start
 * after this file runs) at a directory holding a link to the system's ffmpeg (`apt-get install
 * ffmpeg`; it has the libvpx VP9 encoder Playwright asks for). Without any ffmpeg the tour still
 * takes its screenshots, without a video.
 */
function videoAvailable(): boolean {
  const require = createRequire(import.meta.url);
  const browsers = JSON.parse(readFileSync(join(dirname(require.resolve('playwright-core/package.json')), 'browsers.json'), 'utf8')) as {
    browsers: { name: string; revision: string }[];
  };
  const revision = browsers.browsers.find((b) => b.name === 'ffmpeg')?.revision;
  if (!revision) return false;
  const registry = process.env.PLAYWRIGHT_BROWSERS_PATH || join(homedir(), '.cache', 'ms-playwright');
  if (existsSync(join(registry, `ffmpeg-${revision}`, 'ffmpeg-linux'))) return true;
  const system = ['/usr/bin/ffmpeg', '/usr/local/bin/ffmpeg'].find((p) => existsSync(p));
  if (!system) return false;
  const local = join(OUT, '.playwright-registry');
  const link = join(local, `ffmpeg-${revision}`, 'ffmpeg-linux');
  mkdirSync(dirname(link), { recursive: true });
  if (!existsSync(link)) symlinkSync(system, link);
  process.env.PLAYWRIGHT_BROWSERS_PATH = local;
  return true;
}

const video = videoAvailable();
if (!video) console.warn('demo: no ffmpeg found (apt-get install ffmpeg); recording screenshots only.');

export default defineConfig({
  testDir: 'demo',
  testMatch: '**/*.tour.ts',
  globalSetup: './global-setup.ts',
  workers: 1,
  retries: 0,
  timeout: 180_000,
  expect: { timeout: 30_000 },
  reporter: [['list']],
  outputDir: join(OUT, 'run'),
  use: {
    viewport: { width: 1600, height: 960 },
    colorScheme: 'dark',
    video: video ? { mode: 'on', size: { width: 1600, height: 960 } } : 'off',
    launchOptions: { executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: CHROMIUM_ARGS },
  },
});
