import { basename } from 'node:path';
import { claude } from './claude';
import { codexProfile as codex } from './codex';
import { demo } from './demo';
import { gemini } from './gemini';
import { cursor, opencode } from './others';
import type { AgentProfile } from './types';

/** Every preset, by the name a spawn request uses (`cli: 'claude'`). */
export const PROFILES: Readonly<Record<string, AgentProfile>> = { claude, codex, gemini, cursor, opencode, demo };

export const PRESET_NAMES = Object.keys(PROFILES);

/** The preset named `cli`, if it is one. */
export function presetProfile(cli: string): AgentProfile | undefined {
  return Object.hasOwn(PROFILES, cli) ? PROFILES[cli] : undefined;
}

/**
 * The profile that knows how `cli` behaves: a preset by name, or an executable whose file name is a
 * preset's command (`/opt/bin/claude`). Such a custom command gets the profile's screen recognisers,
 * MCP and identity, but not its preset flags (those come with the preset name only).
 */
export function profileFor(cli: string): AgentProfile | undefined {
  const preset = presetProfile(cli);
  if (preset) return preset;
  const base = basename(cli);
  return Object.values(PROFILES).find((p) => p.id !== 'demo' && basename(p.command) === base);
}
