import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A temp HOME holding Claude Code's first-run answers exactly where a real user's config keeps them
 * (docs/agents.md#claude-code): onboarding done (`~/.claude.json` hasCompletedOnboarding), the
 * API key approved (customApiKeyResponses.approved: its last 20 characters), each project folder
 * trusted (projects[<dir>].hasTrustDialogAccepted), and the Bypass Permissions warning accepted
 * (`~/.claude/settings.json` skipDangerousModePermissionPrompt). Leave one out to see its dialog.
 */

export interface ClaudeHomeOptions {
  apiKey: string;
  /** Folders Claude Code will run in (trusted unless `trust: false`). */
  folders: string[];
  onboarding?: boolean;
  approveKey?: boolean;
  trust?: boolean;
  acceptBypass?: boolean;
}

export function prepareClaudeHome(home: string, options: ClaudeHomeOptions): void {
  mkdirSync(join(home, '.claude'), { recursive: true });
  const config: Record<string, unknown> = {};
  if (options.onboarding !== false) config.hasCompletedOnboarding = true;
  if (options.approveKey !== false) config.customApiKeyResponses = { approved: [options.apiKey.slice(-20)], rejected: [] };
  if (options.trust !== false) config.projects = Object.fromEntries(options.folders.map((f) => [f, { hasTrustDialogAccepted: true }]));
  writeFileSync(join(home, '.claude.json'), `${JSON.stringify(config, null, 2)}\n`);
  const settings = options.acceptBypass !== false ? { skipDangerousModePermissionPrompt: true } : {};
  writeFileSync(join(home, '.claude', 'settings.json'), `${JSON.stringify(settings, null, 2)}\n`);
}

/** The environment a Claude Code worker needs to talk to a scripted server and nothing else. */
export function claudeEnv(options: { home: string; baseUrl: string; apiKey: string; binDir: string; sandbox?: boolean }): Record<string, string> {
  return {
    HOME: options.home,
    ANTHROPIC_BASE_URL: options.baseUrl,
    ANTHROPIC_API_KEY: options.apiKey,
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    PATH: `${options.binDir}:${process.env.PATH ?? '/usr/bin:/bin'}`,
    ...(options.sandbox !== false ? { IS_SANDBOX: '1' } : {}),
  };
}
