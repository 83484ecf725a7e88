import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A temp HOME for the real Codex CLI, holding exactly what a real user's `~/.codex/config.toml` holds
 * after they set up a custom model provider and trusted their project (Codex writes the trust answer
 * as `[projects."<dir>"] trust_level = "trusted"` when a person picks "Trust and continue").
 * The provider is our scripted Responses server; its key is read from `SCRIPTED_OPENAI_KEY`.
 */

export const CODEX_KEY_ENV = 'SCRIPTED_OPENAI_KEY';

export interface CodexHomeOptions {
  /** The scripted server (`http://127.0.0.1:PORT`, harness/openai.ts); Codex calls `<url>/v1/responses`. */
  modelUrl: string;
  /** Directories the user trusted (a git repository's root covers its sub-directories). */
  trusted?: string[];
  /** Extra TOML appended to config.toml (e.g. an `[mcp_servers.x]` table). */
  extraToml?: string;
  /** `~/.codex/version.json`, as Codex's own update check leaves it (makes the update offer show). */
  latestVersion?: string;
}

/** Writes `<home>/.codex/config.toml` (and version.json when asked). */
export function prepareCodexHome(home: string, options: CodexHomeOptions): void {
  const dir = join(home, '.codex');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const lines = [
    'model_provider = "scripted"',
    '',
    '[model_providers.scripted]',
    'name = "scripted"',
    `base_url = ${JSON.stringify(`${options.modelUrl}/v1`)}`,
    `env_key = ${JSON.stringify(CODEX_KEY_ENV)}`,
    'wire_api = "responses"',
  ];
  for (const path of options.trusted ?? []) lines.push('', `[projects.${JSON.stringify(path)}]`, 'trust_level = "trusted"');
  if (options.extraToml) lines.push('', options.extraToml);
  writeFileSync(join(dir, 'config.toml'), `${lines.join('\n')}\n`, { mode: 0o600 });
  if (options.latestVersion) {
    writeFileSync(join(dir, 'version.json'), `${JSON.stringify({ latest_version: options.latestVersion, last_checked_at: new Date().toISOString() })}\n`);
  }
}

/** The environment a Codex worker needs: its HOME (not the user's ~/.codex), the provider's key, the pinned CLI on PATH. */
export function codexEnv(options: { home: string; binDir: string }): Record<string, string> {
  return {
    HOME: options.home,
    // A CODEX_HOME of the machine's would win over HOME/.codex.
    CODEX_HOME: join(options.home, '.codex'),
    [CODEX_KEY_ENV]: 'sk-scripted-test',
    PATH: `${options.binDir}:${process.env.PATH ?? '/usr/bin:/bin'}`,
  };
}
