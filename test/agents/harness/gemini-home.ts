import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A temp HOME holding Gemini CLI's first-run answers exactly where a real API-key user's config keeps
 * them (docs/agents.md#gemini-cli): the sign-in choice (`~/.gemini/settings.json`
 * security.auth.selectedType "gemini-api-key", what picking "Use Gemini API Key" writes) and each
 * trusted folder (`~/.gemini/trustedFolders.json` {"<dir>": "TRUST_FOLDER"}, what "1. Trust folder"
 * writes). The key itself comes from GEMINI_API_KEY, as for such a user. Leave one out to see its dialog.
 */

export interface GeminiHomeOptions {
  /** Folders Gemini CLI will run in (trusted unless `trust: false`). */
  folders: string[];
  trust?: boolean;
  /** Write the sign-in choice (default true). */
  signIn?: boolean;
  /** Extra user settings merged into settings.json (e.g. an mcpServers entry). */
  settings?: Record<string, unknown>;
}

export function prepareGeminiHome(home: string, options: GeminiHomeOptions): void {
  const dir = join(home, '.gemini');
  mkdirSync(dir, { recursive: true });
  const settings = { ...(options.signIn !== false ? { security: { auth: { selectedType: 'gemini-api-key' } } } : {}), ...(options.settings ?? {}) };
  writeFileSync(join(dir, 'settings.json'), `${JSON.stringify(settings, null, 2)}\n`);
  const trusted = options.trust !== false ? Object.fromEntries(options.folders.map((f) => [f, 'TRUST_FOLDER'])) : {};
  writeFileSync(join(dir, 'trustedFolders.json'), `${JSON.stringify(trusted, null, 2)}\n`);
}

/** The environment a Gemini CLI worker needs to talk to a scripted server and nothing else. */
export function geminiEnv(options: { home: string; baseUrl: string; binDir: string; apiKey?: string }): Record<string, string> {
  return {
    HOME: options.home,
    GOOGLE_GEMINI_BASE_URL: options.baseUrl,
    GEMINI_API_KEY: options.apiKey ?? 'scripted-gemini-key',
    PATH: `${options.binDir}:${process.env.PATH ?? '/usr/bin:/bin'}`,
  };
}
