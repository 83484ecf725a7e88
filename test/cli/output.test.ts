import { execFileSync, spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureProductionBuild, killAll, makeSandbox, startUp, type RelayProcess, type Sandbox } from '../server/helpers/relay-process';
import { REPO_ROOT, runCli } from './helpers';

/**
 * `logs` and `attach` read worker output through the dashboard (HTTP + socket.io), so these run
 * against a real `agent-relay up` (production build) in a temp project. `attach` needs a terminal:
 * it runs inside a detached tmux session, driven with send-keys and read with capture-pane.
 */

let sandbox: Sandbox;
let server: RelayProcess;
const session = `relay-attach-${process.pid}`;
const cli = (...args: string[]) => runCli(args, { cwd: sandbox.projectRoot, env: sandbox.env, timeoutMs: 30_000 });

async function until(what: string, check: () => Promise<boolean> | boolean, tries = 150): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`Timed out waiting for ${what}`);
}

const pane = () => execFileSync('tmux', ['capture-pane', '-p', '-t', session], { encoding: 'utf8' });

beforeAll(async () => {
  await ensureProductionBuild();
  sandbox = makeSandbox();
  server = startUp(sandbox);
  await server.url;
  const spawned = await cli('spawn', 'w1', 'bash', '--', '--norc', '--noprofile', '-i');
  expect(spawned.code).toBe(0);
  await cli('input', 'w1', 'PS1="prompt> "\\r');
}, 240_000);

afterAll(async () => {
  spawnSync('tmux', ['kill-session', '-t', session]);
  if (server) {
    await cli('down').catch(() => undefined);
    await Promise.race([server.exited, new Promise((r) => setTimeout(r, 15_000))]);
  }
  await killAll();
  sandbox?.cleanup();
}, 60_000);

describe('status against agent-relay up', () => {
  it('finds the project socket from the project directory and prints the pid and dashboard from the marker', async () => {
    const r = await runCli(['status'], { cwd: sandbox.projectRoot, env: { ...sandbox.env, AGENT_RELAY_PROJECT: '' }, timeoutMs: 30_000 });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`pid:       ${server.child.pid}`);
    expect(r.stdout).toMatch(/dashboard: http:\/\/127\.0\.0\.1:\d+/);
    expect(r.stdout).toMatch(/workers: +1/);
  });
});

describe('logs and attach through the dashboard', () => {
  it('logs prints what the worker wrote', async () => {
    await cli('input', 'w1', 'echo logs-$((40+2))\\r');
    await until('the echo in the log', async () => (await cli('logs', 'w1')).stdout.includes('logs-42'));
    const r = await cli('logs', 'w1');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('echo logs-$((40+2))');
  });

  it('logs of an unknown worker exits 1 with NOT_FOUND', async () => {
    const r = await cli('logs', 'ghost');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('NOT_FOUND');
  });

  it('attach shows the screen, types into the worker, follows the terminal size and detaches with Ctrl-]', async () => {
    const bin = `${REPO_ROOT}/bin/agent-relay.js`;
    const envs = ['AGENT_RELAY_HOME', 'AGENT_RELAY_PROJECT'].map((k) => `${k}=${sandbox.env[k]}`).join(' ');
    execFileSync('tmux', [
      'new-session', '-d', '-s', session, '-x', '90', '-y', '20', '-c', sandbox.projectRoot,
      `env ${envs} ${process.execPath} ${bin} attach w1; echo ATTACH-EXIT=$?; sleep 60`,
    ]);
    await until('the snapshot of the prompt', () => pane().includes('prompt>'));

    execFileSync('tmux', ['send-keys', '-t', session, 'echo size=$COLUMNS', 'Enter']);
    await until('the echoed size', () => pane().includes('size=90'));

    execFileSync('tmux', ['send-keys', '-t', session, 'C-]']);
    await until('the detach notice', () => pane().includes('ATTACH-EXIT=0'));
    expect(pane()).toContain('detached from w1; it keeps running');

    const workers = JSON.parse((await cli('workers', '--json')).stdout) as { name: string; status: string }[];
    expect(workers.find((w) => w.name === 'w1')?.status).not.toBe('exited');
  });

  it('logs -f follows live output and ends when the worker exits', async () => {
    const follow = runCli(['logs', 'w1', '-f'], { cwd: sandbox.projectRoot, env: sandbox.env, timeoutMs: 60_000 });
    await new Promise((r) => setTimeout(r, 1500)); // let it attach; offsets make any overlap harmless
    await cli('input', 'w1', 'echo live-$((6*7))\\r');
    await new Promise((r) => setTimeout(r, 500));
    const released = await cli('release', 'w1', '--force');
    expect(released.code).toBe(0);
    const r = await follow;
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('live-42');
    // Each byte once: the history and the live stream do not overlap.
    expect(r.stdout.split('logs-42').length - 1).toBe(1);
  });
});
