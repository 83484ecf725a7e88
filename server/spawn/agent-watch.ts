import type { AgentDialog, AgentProfile, ScreenText } from '../agents';
import type { InjectionBlock } from '../relay-commands/injection';
import type { HeadlessScreen } from './screen';

/**
 * Reads a worker's rendered screen through its agent profile: is the agent at its input prompt, is
 * something typed there and not sent, is a dialog up. Read after output settles (no output for
 * SETTLE_MS, or at the latest MAX_STALE_MS into a burst, since a spinner never goes quiet), so an
 * idle agent costs nothing and a busy one a few small reads a second. Plain programs have no
 * profile and no watch.
 */

export const AGENT_WATCH_TIMING = { settleMs: 100, maxStaleMs: 500 } as const;

export interface AgentScreenState {
  /** Output offset the reading reflects. */
  offset: number;
  atPrompt: boolean;
  unsentText: boolean;
  dialog?: AgentDialog;
  text: ScreenText;
}

/** Whether a profile can read its screen at all (otherwise readiness stays with output quiet). */
export const profileReadsScreen = (profile: AgentProfile | undefined): profile is AgentProfile =>
  profile !== undefined && (profile.atPrompt !== undefined || profile.dialogs.length > 0);

export function evaluateScreen(profile: AgentProfile, text: ScreenText): AgentScreenState {
  const dialog = profile.dialogs.find((d) => d.matches(text));
  return {
    offset: text.offset,
    dialog,
    atPrompt: !dialog && (profile.atPrompt?.(text) ?? false),
    unsentText: !dialog && (profile.promptHasUnsentText?.(text) ?? false),
    text,
  };
}

/** What keeps input out, as the injection queue's readiness hook wants it; undefined: type now. */
export function injectionBlock(profile: AgentProfile, state: AgentScreenState | undefined): InjectionBlock | undefined {
  if (!state) return { code: 'starting', reason: `${profile.label}'s screen could not be read yet.` };
  if (state.dialog) return { code: 'dialog', reason: state.dialog.reason };
  if (state.unsentText) return { code: 'unsent-text', reason: `Text typed at ${profile.label}'s prompt is not sent yet; the input waits until the prompt is empty.` };
  if (profile.atPrompt && !state.atPrompt) return { code: 'not-at-prompt', reason: `${profile.label} is not at its input prompt (busy, or still starting); the input waits for it.` };
  return undefined;
}

export class AgentWatch {
  private latest: AgentScreenState | undefined;
  private timer: NodeJS.Timeout | undefined;
  private staleSince = 0;
  private disposed = false;

  constructor(
    readonly profile: AgentProfile,
    private readonly screen: HeadlessScreen,
    /** Bytes of output so far: a reading is fresh when it reflects all of them. */
    private readonly bytes: () => number,
    private readonly onChange: (state: AgentScreenState, previous: AgentScreenState | undefined) => void,
  ) {}

  /** Output arrived (or the size changed): read again once it settles. */
  touch(): void {
    if (this.disposed) return;
    const now = Date.now();
    if (!this.staleSince) this.staleSince = now;
    if (this.timer) clearTimeout(this.timer);
    const wait = Math.max(0, Math.min(AGENT_WATCH_TIMING.settleMs, this.staleSince + AGENT_WATCH_TIMING.maxStaleMs - now));
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.staleSince = 0;
      void this.read();
    }, wait);
    this.timer.unref();
  }

  /** The last reading if nothing was printed since; else a new one. */
  async fresh(): Promise<AgentScreenState | undefined> {
    if (this.latest && this.latest.offset === this.bytes()) return this.latest;
    return this.read();
  }

  /** The last reading, whatever its age. */
  get current(): AgentScreenState | undefined {
    return this.latest;
  }

  async read(): Promise<AgentScreenState | undefined> {
    const text = await this.screen.readText();
    if (!text || this.disposed) return undefined;
    // Readings can resolve out of order only if the thread restarts; never go back in time.
    if (this.latest && text.offset < this.latest.offset) return this.latest;
    const previous = this.latest;
    const state = evaluateScreen(this.profile, text);
    this.latest = state;
    if (!previous || previous.dialog?.id !== state.dialog?.id || previous.atPrompt !== state.atPrompt || previous.unsentText !== state.unsentText) {
      this.onChange(state, previous);
    }
    return state;
  }

  dispose(): void {
    this.disposed = true;
    if (this.timer) clearTimeout(this.timer);
  }
}
