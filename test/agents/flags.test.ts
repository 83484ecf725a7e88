import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { PROFILES } from '../../server/agents';
import { pinnedCli } from './harness/install';

/**
 * Every flag a profile passes must be one the pinned CLI's `--help` lists, so the next release
 * that renames one (as Codex did with --full-auto) fails here, loudly, instead of in a user's
 * terminal as an instant exit.
 */

const run = promisify(execFile);
const home = mkdtempSync(join(tmpdir(), 'relay-flags-home-'));
afterAll(() => rmSync(home, { recursive: true, force: true }));

const pinned = Object.values(PROFILES).filter((p) => p.npm);

describe('profile flags against the pinned CLIs', { timeout: 60_000 }, () => {
  it('covers every CLI the installer pins', () => {
    expect(pinned.map((p) => p.id).sort()).toEqual(['claude', 'codex', 'gemini']);
  });

  it.each(pinned.map((p) => [p.id, p] as const))('%s: --help lists every flag the profile passes', async (_id, profile) => {
    const cli = pinnedCli(profile.id);
    const { stdout, stderr } = await run(cli.bin, profile.flags.helpArgs ?? ['--help'], {
      env: { ...process.env, HOME: home, NO_COLOR: '1' },
      timeout: 45_000,
      maxBuffer: 4 * 1024 * 1024,
    });
    const help = `${stdout}\n${stderr}`;
    const listed = new Set(help.match(/--[a-z][a-z0-9-]*/g) ?? []);
    // The flags the profile really produces, both ways, must all be declared in flags.help…
    const produced = new Set([...profile.args({ skipPermissions: true, model: 'm' }), ...profile.args({ skipPermissions: false })].filter((a) => a.startsWith('--')));
    for (const flag of produced) expect(profile.flags.help, `${profile.id} passes ${flag} without declaring it`).toContain(flag);
    // …and every declared flag must be in the pinned version's --help.
    const missing = profile.flags.help.filter((flag) => !listed.has(flag));
    expect(missing, `${profile.npm!.name}@${profile.npm!.version} --help does not list ${missing.join(', ')}`).toEqual([]);
  });
});
