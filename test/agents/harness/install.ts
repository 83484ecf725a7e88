import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PROFILES } from '../../../server/agents';

/**
 * Installs the pinned real agent CLIs (each profile's `npm` package) into a cache outside the
 * repository, `~/.cache/agent-relay/agent-clis/<name>@<version>` (or $AGENT_RELAY_CLI_CACHE), with
 * `npm install --prefix`. Idempotent: an installed version is reused; a half-finished install
 * (interrupted, or another test process racing us) never counts, since each install goes to a
 * temp folder renamed into place once complete. Run by vitest's globalSetup and by .ci/run, so a
 * fresh machine gets them without a manual step.
 */

const run = promisify(execFile);

export interface InstalledCli {
  profile: string;
  name: string;
  version: string;
  /** Absolute path of the CLI's executable. */
  bin: string;
  /** The folder holding it (put on a worker's PATH). */
  binDir: string;
}

export function cliCacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  return env.AGENT_RELAY_CLI_CACHE ?? join(env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'agent-relay', 'agent-clis');
}

function folderName(name: string, version: string): string {
  return `${name.replace(/^@/, '').replace(/\//g, '+')}@${version}`;
}

/** Where a profile's pinned CLI lives (installed or not). */
export function pinnedCli(profileId: string, root = cliCacheRoot()): InstalledCli {
  const profile = PROFILES[profileId];
  if (!profile?.npm) throw new Error(`The "${profileId}" profile pins no npm package.`);
  const { name, version, bin } = profile.npm;
  const binDir = join(root, folderName(name, version), 'node_modules', '.bin');
  return { profile: profileId, name, version, bin: join(binDir, bin), binDir };
}

function installedVersion(prefix: string, name: string): string | undefined {
  try {
    return (JSON.parse(readFileSync(join(prefix, 'node_modules', name, 'package.json'), 'utf8')) as { version?: string }).version;
  } catch {
    return undefined;
  }
}

/** Installs every pinned CLI that is missing; resolves with where each one is. */
export async function installPinnedClis(options: { root?: string; log?: (line: string) => void } = {}): Promise<InstalledCli[]> {
  const root = options.root ?? cliCacheRoot();
  const log = options.log ?? (() => {});
  mkdirSync(root, { recursive: true });
  const out: InstalledCli[] = [];
  for (const profile of Object.values(PROFILES)) {
    if (!profile.npm) continue;
    const cli = pinnedCli(profile.id, root);
    const prefix = join(root, folderName(profile.npm.name, profile.npm.version));
    if (installedVersion(prefix, profile.npm.name) !== profile.npm.version || !existsSync(cli.bin)) {
      const temp = `${prefix}.installing-${process.pid}-${Date.now()}`;
      log(`installing ${profile.npm.name}@${profile.npm.version} into ${prefix}`);
      try {
        await run('npm', ['install', '--prefix', temp, '--no-audit', '--no-fund', '--loglevel=error', '--no-save', `${profile.npm.name}@${profile.npm.version}`], {
          timeout: 10 * 60_000,
          maxBuffer: 16 * 1024 * 1024,
          // The relay's own npm settings (npm test sets npm_config_*) must not steer this install.
          env: { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('npm_'))) } as NodeJS.ProcessEnv,
        });
        if (installedVersion(temp, profile.npm.name) !== profile.npm.version) throw new Error(`npm installed something other than ${profile.npm.version}`);
        // Another process may have finished first: keep theirs.
        if (installedVersion(prefix, profile.npm.name) === profile.npm.version) rmSync(temp, { recursive: true, force: true });
        else {
          rmSync(prefix, { recursive: true, force: true });
          renameSync(temp, prefix);
        }
      } catch (err) {
        rmSync(temp, { recursive: true, force: true });
        throw new Error(`Could not install ${profile.npm.name}@${profile.npm.version} into ${prefix}: ${(err as Error).message}`);
      }
    }
    out.push(cli);
  }
  return out;
}

// `node --import tsx test/agents/harness/install.ts` (what .ci/run does).
if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  installPinnedClis({ log: (l) => console.log(l) })
    .then((clis) => {
      for (const c of clis) console.log(`${c.name}@${c.version}: ${c.bin}`);
    })
    .catch((err: unknown) => {
      console.error((err as Error).message);
      process.exit(1);
    });
}
