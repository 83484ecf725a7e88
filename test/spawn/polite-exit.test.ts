import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { AgentProfile } from '../../server/agents/types';
import { Worker } from '../../server/spawn/worker';
import type { WorkerInfo } from '../../lib/protocol';
import { waitFor } from './helpers';

/**
 * Release's polite exit, typed again once while the CLI still shows its prompt (politeExitRetryMs):
 * a real bash in a real PTY that takes its first `q` for something else (as Codex did once under
 * load with its two Ctrl-C) and quits on the second.
 */

// Raw keys, a prompt; the first q is "taken" (it says so), the second exits 0.
const SCRIPT = `stty -echo -icanon; printf '> '; n=0; while IFS= read -rsn1 c; do if [ "$c" = q ]; then n=$((n+1)); if [ $n -ge 2 ]; then exit 0; fi; printf '\\r(taken)\\r\\n> '; fi; done`;

function profile(retryMs: number | undefined): AgentProfile {
  return {
    id: 'test-two-q', label: 'Two-q', command: 'bash', args: () => [], flags: { help: [] },
    politeExit: 'q', politeExitMs: 2500, ...(retryMs !== undefined ? { politeExitRetryMs: retryMs } : {}),
    submit: { bracketedPaste: false, enterDelayMs: 0 },
    atPrompt: (screen) => screen.lines.some((l) => l.startsWith('>')),
    dialogs: [],
  };
}

let dir: string | undefined;
let worker: Worker | undefined;
afterEach(async () => {
  await worker?.release({ force: true, graceMs: 500 }).catch(() => undefined);
  worker = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

async function started(retryMs: number | undefined): Promise<Worker> {
  dir = mkdtempSync(join(tmpdir(), 'relay-polite-'));
  const info: WorkerInfo = {
    name: 'two-q', cli: 'bash', args: [], task: '', cwd: dir, spawnedAt: Date.now(), status: 'starting',
    taskDelivered: false, cols: 80, rows: 24, outputBytes: 0,
  };
  const w = Worker.launch({ info, file: '/bin/bash', args: ['--norc', '--noprofile', '-c', SCRIPT], env: { PATH: process.env.PATH ?? '/usr/bin:/bin', TERM: 'xterm-256color' }, politeExit: 'q', logPath: join(dir, 'two-q.log'), profile: profile(retryMs) });
  await waitFor(async () => (await w.lastLines(3)).some((l) => l.startsWith('>')), 10_000, 'the prompt');
  return w;
}

describe('polite exit typed again while the prompt stays', () => {
  it('with politeExitRetryMs: the second q ends it by itself (exit 0), no signal', async () => {
    worker = await started(600);
    const outcome = await worker.release({ graceMs: 5000 });
    expect(outcome.endedBy).toBe('exit');
    expect(worker.getInfo().exitCode).toBe(0);
  });

  it('without it: one q, the prompt stays, and release goes on to SIGTERM after politeExitMs', async () => {
    worker = await started(undefined);
    const t0 = Date.now();
    const outcome = await worker.release({ graceMs: 5000 });
    expect(outcome.endedBy).toBe('SIGTERM');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(2400);
    expect((await worker.lastLines(4)).join('\n')).toContain('(taken)');
  });
});
