import { appendFileSync, cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPrebuiltCli, buildPrebuiltCliIfStale, prebuiltEntry, prebuiltStaleReason } from '../../server/lifecycle/prebuilt.mjs';
import { isolatedEnv, REPO_ROOT, runCli } from './helpers';

/**
 * The prebuilt CLI (server/lifecycle/prebuilt.mjs) on a copy of the sources, so the checkout's own
 * dist/ is left alone: it runs when it matches the sources, an edited source makes bin/agent-relay.js
 * run the sources instead (the edit is seen), and a rebuild makes it prebuilt again with the edit.
 */

let root: string;
let home: string;

/** The CLI of the copied tree (`root`), not this checkout's. */
const run = (args: string[]) => runCli(args, { cwd: root, env: isolatedEnv(home), timeoutMs: 60_000, bin: join(root, 'bin', 'agent-relay.js') });

const cliLine = (out: string) => out.split('\n').find((l) => l.includes(' CLI ')) ?? `(no CLI line in: ${out})`;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'ar-prebuilt-'));
  home = join(root, '.home');
  for (const dir of ['bin', 'server', 'lib']) cpSync(join(REPO_ROOT, dir), join(root, dir), { recursive: true });
  for (const file of ['package.json', 'package-lock.json', 'tsconfig.json']) cpSync(join(REPO_ROOT, file), join(root, file));
  symlinkSync(join(REPO_ROOT, 'node_modules'), join(root, 'node_modules'));
});

afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

describe('prebuilt CLI', () => {
  it('builds, runs prebuilt while the sources match, runs the sources once one changes, and is rebuilt with the change', async () => {
    expect(prebuiltStaleReason(root)).toBe('no prebuilt CLI yet');
    expect(prebuiltEntry(root)).toBeUndefined();

    const built = await buildPrebuiltCli({ root });
    expect(built.inputs).toBeGreaterThan(50);
    const manifest = JSON.parse(readFileSync(join(root, 'dist', 'cli.json'), 'utf8')) as { dir: string; inputs: { path: string }[] };
    expect(manifest.dir).toBe(built.dir);
    expect(manifest.inputs.map((i) => i.path)).toEqual(expect.arrayContaining(['server/cli/main.ts', 'server/cli/commands/send.ts', 'lib/protocol/index.ts', 'package-lock.json']));
    expect(prebuiltStaleReason(root)).toBeUndefined();
    expect(prebuiltEntry(root)).toMatch(new RegExp(`/dist/${built.dir}/main\\.mjs$`));

    const doctor = await run(['doctor']);
    expect(cliLine(doctor.stdout)).toMatch(new RegExp(`✓ CLI prebuilt \\(.*dist/${built.dir}/\\)`));
    const help = await run(['send', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('send a message to an agent');

    // An edit: the prebuilt CLI no longer matches, and the edited source is what runs.
    const send = join(root, 'server', 'cli', 'commands', 'send.ts');
    writeFileSync(send, readFileSync(send, 'utf8').replace("'send a message to an agent", "'EDITED send a message to an agent"));
    expect(prebuiltStaleReason(root)).toBe('server/cli/commands/send.ts changed since the CLI was built');
    const edited = await run(['send', '--help']);
    expect(edited.stdout).toContain('EDITED send a message to an agent');
    expect(cliLine((await run(['doctor'])).stdout)).toMatch(/! CLI runs from the sources, transpiled at every start \(server\/cli\/commands\/send\.ts changed since the CLI was built\)/);

    // Rebuilt (what npm start's build step does): prebuilt again, with the edit.
    expect(await buildPrebuiltCliIfStale({ root })).toBe(true);
    expect(await buildPrebuiltCliIfStale({ root })).toBe(false);
    const rebuilt = JSON.parse(readFileSync(join(root, 'dist', 'cli.json'), 'utf8')) as { dir: string };
    expect(rebuilt.dir).not.toBe(built.dir);
    expect(cliLine((await run(['doctor'])).stdout)).toMatch(new RegExp(`✓ CLI prebuilt \\(.*dist/${rebuilt.dir}/\\)`));
    expect((await run(['send', '--help'])).stdout).toContain('EDITED send a message to an agent');
    // The previous build is kept for a CLI that started from it.
    expect(existsSync(join(root, 'dist', built.dir, 'main.mjs'))).toBe(true);
  }, 240_000);

  it('counts a removed source and an installed package as changes', async () => {
    if (prebuiltStaleReason(root) !== undefined) await buildPrebuiltCli({ root });
    appendFileSync(join(root, 'package-lock.json'), '\n');
    expect(prebuiltStaleReason(root)).toBe('package-lock.json changed since the CLI was built');
    await buildPrebuiltCli({ root });
    rmSync(join(root, 'server', 'cli', 'commands', 'inbox.ts'));
    expect(prebuiltStaleReason(root)).toBe('server/cli/commands/inbox.ts is gone since the CLI was built');
  }, 120_000);
});
