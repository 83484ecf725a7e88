import { statSync } from 'node:fs';
import type { AgentProfile } from '../agents';
import type { InjectionBlock, SubmitCheck } from '../relay-commands/injection';
import { AgentWatch, injectionBlock, profileReadsScreen, type AgentScreenState } from './agent-watch';
import type { HeadlessScreen } from './screen';

/**
 * What a worker running a profiled agent CLI adds to a plain one: its screen read through the
 * profile (prompt, unsent text, dialogs), input held back until the relay tools are in (when it
 * gets our MCP server), the reasons a person is needed, how a message is pasted, and "is it up".
 * The Worker owns the PTY, output and queue; this owns the agent-specific judgement.
 */

export const AGENT_TIMING = {
  /** How long input waits for an agent's relay tools (MCP) to connect before it is typed without them. */
  mcpWaitMs: 30_000,
  /**
   * After our MCP server answered the CLI's tools/list, how long the CLI gets to take the tools in:
   * Claude Code offered a first turn typed at once `WaitForMcpServers` instead of them 1 run in 6
   * (its client state updates after the answer); 300 ms was enough in 8 of 8 runs at load 25.
   */
  mcpSettleMs: 1000,
  /** An agent whose prompt has not shown this long after starting is flagged for a person (its task keeps waiting). */
  promptAttentionMs: 60_000,
};

export interface AgentSessionOptions {
  profile: AgentProfile;
  screen: HeadlessScreen;
  /** Bytes of output so far. */
  bytes(): number;
  spawnedAt: number;
  /** Written by our MCP server once the CLI has listed its tools. */
  mcpReadyFile?: string;
  /** Has a task that is not typed yet. */
  taskPending(): boolean;
  /** The person-facing reason (undefined clears it). */
  setAttention(reason: string | undefined): void;
  onScreen(state: AgentScreenState): void;
}

export class AgentSession {
  readonly profile: AgentProfile;
  readonly watch: AgentWatch;
  private mcpReady = false;
  /** The relay tools did not connect within mcpWaitMs: input went in without them. */
  private mcpLate = false;
  /** The prompt has not shown promptAttentionMs after the start, the task still waiting. */
  private promptOverdue = false;
  /** Input we typed stayed at the prompt though Enter was pressed again (until the prompt is empty). */
  private submitStuck = false;
  private readonly overdueTimer: NodeJS.Timeout;

  constructor(private readonly options: AgentSessionOptions) {
    this.profile = options.profile;
    this.watch = new AgentWatch(options.profile, options.screen, options.bytes, (state) => {
      this.updateAttention();
      options.onScreen(state);
    });
    this.overdueTimer = setTimeout(() => {
      if (!options.taskPending() || this.watch.current?.atPrompt) return;
      this.promptOverdue = true;
      this.updateAttention();
    }, AGENT_TIMING.promptAttentionMs);
    this.overdueTimer.unref();
  }

  /** The injection queue's screen check: prompt shown, empty, no dialog (profiles that read their screen). */
  get promptCheck(): (() => Promise<InjectionBlock | undefined>) | undefined {
    if (!profileReadsScreen(this.profile)) return undefined;
    return async () => injectionBlock(this.profile, await this.watch.fresh());
  }

  /** Input waits for the relay tools when the CLI gets our MCP server (bounded: then it goes without them). */
  mcpBlock(): InjectionBlock | undefined {
    const file = this.options.mcpReadyFile;
    if (!file || this.mcpReady) return undefined;
    const listedAt = fileTime(file);
    if (listedAt !== undefined && Date.now() - listedAt >= AGENT_TIMING.mcpSettleMs) {
      this.mcpReady = true;
      if (this.mcpLate) this.updateAttention();
      return undefined;
    }
    if (this.mcpLate) return undefined;
    if (Date.now() - this.options.spawnedAt >= AGENT_TIMING.mcpWaitMs) {
      this.mcpLate = true;
      this.updateAttention();
      return undefined;
    }
    const label = this.profile.label;
    if (listedAt !== undefined) return { code: 'starting', reason: `${label} is taking in the relay tools (MCP); typing in a moment.` };
    return { code: 'starting', reason: `Waiting for ${label} to connect the relay tools (MCP) before typing (at most ${AGENT_TIMING.mcpWaitMs / 1000} s).` };
  }

  /**
   * After our Enter: is the prompt empty again (the CLI took the input), or does our text still
   * sit there? 'unknown' when a person typed since (their line is not ours to send), when a dialog
   * came up, or when the profile cannot tell.
   */
  async submitted(since: number, lastTypedAt: number): Promise<SubmitCheck> {
    if (lastTypedAt > since || !this.profile.promptHasUnsentText) return 'unknown';
    const state = await this.watch.fresh();
    if (!state || state.dialog) return 'unknown';
    return state.unsentText ? 'unsent' : 'sent';
  }

  setSubmitStuck(stuck: boolean): void {
    if (this.submitStuck === stuck) return;
    this.submitStuck = stuck;
    this.updateAttention();
  }

  /** Bracketed paste when the CLI turned it on, so a TUI takes the text as one paste and not as keys. */
  asPaste(text: string): string {
    // eslint-disable-next-line no-control-regex
    const clean = text.replace(/\x1b\[20[01]~/g, '');
    return this.watch.current?.text.bracketedPaste ? `\x1b[200~${clean}\x1b[201~` : clean;
  }

  taskDelivered(): void {
    if (!this.promptOverdue) return;
    this.promptOverdue = false;
    this.updateAttention();
  }

  /** A dialog is on screen now: keys typed would answer it. */
  get dialogUp(): boolean {
    return this.watch.current?.dialog !== undefined;
  }

  /** True once the profile has seen the prompt or a dialog: the CLI is up and waiting. */
  get isUp(): boolean {
    const s = this.watch.current;
    return s !== undefined && (s.atPrompt || s.dialog !== undefined);
  }

  dispose(): void {
    clearTimeout(this.overdueTimer);
    this.watch.dispose();
  }

  /** A profile's reasons for a person, most urgent first: a dialog, relay tools that never came, a prompt that never showed. */
  private updateAttention(): void {
    const label = this.profile.label;
    const dialog = this.watch.current?.dialog;
    if (dialog) return this.options.setAttention(dialog.reason);
    // A person pressed Enter (or cleared the line) since: nothing is stuck any more.
    if (this.submitStuck && this.watch.current && !this.watch.current.unsentText) this.submitStuck = false;
    if (this.submitStuck) {
      return this.options.setAttention(`A message typed into ${label}'s prompt was not submitted (Enter pressed 3 times); press Enter in its terminal.`);
    }
    // Late tools may still connect after the input went without them (Gemini CLI queues it until
    // they do): nothing polls the ready file once the queue is empty, so look here too.
    if (this.mcpLate && !this.mcpReady && this.options.mcpReadyFile && fileTime(this.options.mcpReadyFile) !== undefined) this.mcpReady = true;
    if (this.mcpLate && !this.mcpReady) {
      return this.options.setAttention(
        `${label} did not connect the relay tools (MCP) within ${AGENT_TIMING.mcpWaitMs / 1000} s, so its input was typed without them ` +
          '(it can still write ->relay: lines). Check the agent-relay server in its MCP list.',
      );
    }
    if (this.promptOverdue && this.options.taskPending()) {
      return this.options.setAttention(
        `${label} has not shown its input prompt ${AGENT_TIMING.promptAttentionMs / 1000} s after starting, so its task is not typed yet ` +
          '(nothing is typed into a screen it does not recognise). Look at its terminal.',
      );
    }
    this.options.setAttention(undefined);
  }
}

/** A file's modification time (Unix ms), undefined when it is not there. */
function fileTime(path: string): number | undefined {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return undefined;
  }
}
