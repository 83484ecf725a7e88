import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_SENDER } from '../../lib/protocol';
import { RelayClient } from '../../lib/sdk';
import { startTestDaemon, type TestDaemon } from '../sdk/daemon';
import { isolatedEnv, runCli } from './helpers';

let daemon: TestDaemon;
let bob: RelayClient;
let home: string;
let env: NodeJS.ProcessEnv;
const cli = (...args: string[]) => runCli(['--socket', daemon.socketPath, ...args], { cwd: daemon.dir, env });

beforeAll(async () => {
  home = realpathSync(mkdtempSync(join(tmpdir(), 'cli-home-')));
  env = isolatedEnv(home);
  daemon = await startTestDaemon({ spawn: true });
  bob = new RelayClient({ name: 'bob', socketPath: daemon.socketPath, reconnect: false, hello: { cli: 'bot' } });
  bob.onMessage((m) => {
    if (m.from === CLI_SENDER && m.body.startsWith('ping')) bob.send(m.from, `pong to "${m.body}"`);
  });
  await bob.connect();
});

afterAll(async () => {
  await bob.disconnect().catch(() => {});
  await daemon.close();
  rmSync(home, { recursive: true, force: true });
});

describe('CLI commands against a running daemon', () => {
  it('status prints RUNNING with socket, uptime and counts', async () => {
    const r = await cli('status');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^RUNNING\n/);
    expect(r.stdout).toContain(`socket:    ${daemon.socketPath}`);
    expect(r.stdout).toMatch(/uptime: +\d+s/);
    expect(r.stdout).toMatch(/agents: +1\n/);
  });

  it('status --json is machine-readable', async () => {
    const r = await cli('status', '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ running: true, socketPath: daemon.socketPath, agentCount: 1, source: 'option' });
  });

  it('send prints the reply that comes back quickly', async () => {
    const r = await cli('send', 'bob', 'ping 1');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Sent to bob.');
    expect(r.stdout).toContain('Reply from bob: pong to "ping 1"');
  });

  it('send to an unknown agent prints NOT_FOUND and exits 1', async () => {
    const r = await cli('send', 'nobody', 'hello');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('NOT_FOUND');
    // Names the command a person can run, not the protocol query.
    expect(r.stderr).toContain('agent-relay agents');
    expect(r.stderr).not.toContain('LIST_AGENTS');
  });

  it('agents and who list connected agents; --json gives the list', async () => {
    const r = await cli('agents');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/bob +bot +online/);
    const j = await cli('who', '--json');
    expect(JSON.parse(j.stdout).map((a: { name: string }) => a.name)).toContain('bob');
  });

  it('inbox shows the replies sent to the CLI user', async () => {
    await cli('send', 'bob', 'ping 2', '--wait', '1000');
    const r = await cli('inbox', '--json');
    expect(r.code).toBe(0);
    const bodies = (JSON.parse(r.stdout) as { body: string }[]).map((m) => m.body);
    expect(bodies).toContain('pong to "ping 2"');
  });

  it('spawn, workers, input and release drive a worker end to end', async () => {
    const s = await cli('spawn', 'w1', 'cat', '--wait');
    expect(s.code).toBe(0);
    expect(s.stdout).toMatch(/Spawned w1 \(pid \d+\)/);

    const w = await cli('workers');
    // The CLI's own sender name reads as "CLI" in tables.
    expect(w.stdout).toMatch(/w1 +cat +(running|idle|starting) +\d+ +CLI /);
    expect(w.stdout).not.toContain('__cli_sender__');

    const i = await cli('input', 'w1', 'hello\\r');
    expect(i.code).toBe(0);
    // cat echoes what it was typed: the escape became Enter, so the line came back.
    for (let n = 0; n < 100; n++) {
      const out = await daemon.spawnManager!.readOutput('w1', 0, 65536);
      if (Buffer.from(out.data).toString().includes('hello\r\n')) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(Buffer.from((await daemon.spawnManager!.readOutput('w1', 0, 65536)).data).toString()).toContain('hello\r\n');

    const rel = await cli('release', 'w1', '--force', '--json');
    expect(rel.code).toBe(0);
    expect(JSON.parse(rel.stdout)).toMatchObject({ name: 'w1' });

    const wj = await cli('workers', '--json');
    expect(JSON.parse(wj.stdout).find((x: { name: string }) => x.name === 'w1')).toMatchObject({ status: 'exited', released: true });
    // Released is how it ended, in both tables; never "idle" for a worker that is gone.
    expect((await cli('workers')).stdout).toMatch(/w1 +cat +released\(SIGKILL\)/);
    expect((await cli('agents')).stdout).toMatch(/w1 +cat +released/);
  });

  it('agents shows an exited worker as exited and a disconnected agent as offline, never idle', async () => {
    await daemon.spawnManager!.spawn({ name: 'dead1', cli: 'bash', args: ['-c', 'exit 4'] });
    for (let n = 0; n < 200 && daemon.spawnManager!.getWorker('dead1')?.status !== 'exited'; n++) await new Promise((r) => setTimeout(r, 50));
    const gone = new RelayClient({ name: 'gone1', socketPath: daemon.socketPath, reconnect: false, hello: { cli: 'bot' } });
    await gone.connect();
    await gone.disconnect();
    const r = await cli('agents');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/dead1 +bash +exited\(4\)/);
    expect(r.stdout).toMatch(/gone1 +bot +offline/);
    expect(r.stdout).not.toMatch(/ idle /);
  });

  it('inject hold / flush / auto holds a worker\'s messages and types them in order', async () => {
    const m = daemon.spawnManager!;
    await m.spawn({ name: 'inj', cli: 'bash', args: ['--norc', '--noprofile'], env: { PS1: '$ ' } });
    for (let n = 0; n < 300 && m.getWorker('inj')?.status !== 'idle'; n++) await new Promise((r) => setTimeout(r, 50));
    const out = async () => Buffer.from((await m.readOutput('inj', 0, 1 << 20)).data).toString();

    const hold = await cli('inject', 'hold', 'inj');
    expect(hold.code).toBe(0);
    expect(hold.stdout).toContain('Holding deliveries to inj. Release them with: agent-relay inject flush inj, or auto.');
    bob.send('inj', 'echo FIRST');
    bob.send('inj', 'echo SECOND');
    for (let n = 0; n < 100 && m.getWorker('inj')?.injection?.held !== 2; n++) await new Promise((r) => setTimeout(r, 50));
    const listed = await cli('workers');
    expect(listed.stdout).toMatch(/inj +bash +idle \(held 2\)/);
    const j = await cli('inject', 'hold', 'inj', '--json');
    expect(JSON.parse(j.stdout)).toMatchObject({ name: 'inj', injection: { mode: 'hold', pending: 2, held: 2 }, flushed: 0 });
    expect(await out()).not.toContain('Relay message');

    const flush = await cli('inject', 'flush', 'inj');
    expect(flush.code).toBe(0);
    expect(flush.stdout).toContain('Released 2 held messages; they are typed one at a time when inj is ready. Still holding what arrives next');
    for (let n = 0; n < 200 && !(await out()).includes(': echo SECOND'); n++) await new Promise((r) => setTimeout(r, 50));
    const text = await out();
    expect(text.indexOf(': echo FIRST')).toBeGreaterThan(0);
    expect(text.indexOf(': echo FIRST')).toBeLessThan(text.indexOf(': echo SECOND'));

    const auto = await cli('inject', 'auto', 'inj');
    expect(auto.stdout).toMatch(/^Deliveries to inj are automatic/);

    const usage = await cli('inject', 'later', 'inj');
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('Use hold, flush or auto.');
    const ghost = await cli('inject', 'hold', 'ghost');
    expect(ghost.code).toBe(1);
    expect(ghost.stderr).toContain('NOT_FOUND');
    await m.release('inj', { force: true });
  }, 60_000);

  it('a spawn the daemon refuses exits 1 with its code', async () => {
    const r = await cli('spawn', 'w2', 'no-such-cli-xyz');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('CLI_NOT_FOUND');
  });

  it('input to an unknown worker exits 1 with NOT_FOUND', async () => {
    const r = await cli('input', 'ghost', 'x');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('NOT_FOUND');
  });

  it('doctor reports the daemon reachable', async () => {
    const r = await cli('doctor');
    expect(r.stdout).toContain(`✓ daemon answers at ${daemon.socketPath}`);
    expect(r.stdout).toContain('✓ node-pty loads');
  });
});
