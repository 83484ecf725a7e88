import { mkdirSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isolatedEnv, runCli } from './helpers';

let dir: string;
let env: NodeJS.ProcessEnv;

beforeAll(() => {
  dir = realpathSync(mkdtempSync(join(tmpdir(), 'cli-nodaemon-')));
  mkdirSync(join(dir, 'project', '.git'), { recursive: true });
  env = isolatedEnv(join(dir, 'home'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('CLI without a daemon', () => {
  it('status exits 3 with the hint to run agent-relay up', async () => {
    const r = await runCli(['--socket', join(dir, 'nothing.sock'), 'status'], { cwd: join(dir, 'project'), env });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('Daemon not running. Start it with: agent-relay up');
  });

  it.each([['workers'], ['agents'], ['send', 'w1', 'hi'], ['spawn', 'w1', 'demo'], ['input', 'w1', 'x']])(
    '%s exits 3 with the hint when the socket refuses',
    async (...args: string[]) => {
      const r = await runCli(['--socket', join(dir, 'nothing.sock'), ...args], { cwd: join(dir, 'project'), env });
      expect(r.code).toBe(3);
      expect(r.stderr).toContain('Start it with: agent-relay up');
    },
  );

  it('an unknown command is a usage error (exit 2)', async () => {
    const r = await runCli(['frobnicate'], { cwd: dir, env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("unknown command 'frobnicate'");
  });

  it('a missing argument is a usage error (exit 2)', async () => {
    const r = await runCli(['send', 'only-recipient'], { cwd: dir, env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("missing required argument 'message'");
  });

  it('a bad option value is a usage error (exit 2)', async () => {
    const r = await runCli(['send', 'a', 'b', '--wait', 'soon'], { cwd: dir, env });
    expect(r.code).toBe(2);
  });

  it('--help exits 0 and lists every command', async () => {
    const r = await runCli(['--help'], { cwd: dir, env });
    expect(r.code).toBe(0);
    for (const name of ['up', 'down', 'status', 'spawn', 'release', 'workers', 'agents|who', 'send', 'input', 'logs', 'attach', 'inbox', 'doctor']) {
      expect(r.stdout).toContain(name);
    }
  });
});
