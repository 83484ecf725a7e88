import type { InjectionBlock, ReadinessCheck } from './injection';

/**
 * When a terminal may be typed into, for workers and `agent-relay run` alike. In order:
 * 1. nobody typed into it for `typingQuietMs` (a person's keys, not our injections) — hard;
 * 2. its output has been quiet for `quietMs` (and it printed something, for workers) — soft: a
 *    program that never goes quiet still gets its input after the queue's bounded wait;
 * 3. when the agent has a prompt recogniser (an agent profile), the rendered screen shows its
 *    prompt, empty, and no dialog — hard: a dialog or a half-typed line is never typed into.
 * Without a recogniser (plain programs) the quiet output alone decides, as it always did.
 */

/** A person who typed in the last few seconds may be mid-sentence: wait until they pause this long. */
export const TYPING_QUIET_MS = 3000;
/** Output quiet this long counts as "ready to be typed into". */
export const OUTPUT_QUIET_MS = 400;

/** An agent profile's view of the rendered screen: what keeps input out (dialog, unsent text, busy), or undefined at an empty prompt. */
export type PromptCheck = () => Promise<InjectionBlock | undefined>;

export interface TerminalReadinessOptions {
  /** When the program last printed (Unix ms), 0 before its first output. */
  lastOutputAt(): number;
  /** When a person last typed into the terminal (Unix ms), 0 if never. */
  lastTypedAt(): number;
  /** Before the first output: wait (soft) like a worker, or type at once like a wrapped command. */
  waitForFirstOutput: boolean;
  quietMs?: number;
  typingQuietMs?: number;
  /** The agent's prompt recogniser reading the rendered screen (server/spawn/agent-watch.ts); absent for plain programs. */
  prompt?: PromptCheck;
}

export function createTerminalReadiness(options: TerminalReadinessOptions): ReadinessCheck {
  const quietMs = options.quietMs ?? OUTPUT_QUIET_MS;
  const typingQuietMs = options.typingQuietMs ?? TYPING_QUIET_MS;
  const typing = (): InjectionBlock | undefined => {
    const typedAt = options.lastTypedAt();
    if (typedAt > 0 && Date.now() - typedAt < typingQuietMs) {
      return { code: 'typing', reason: `Someone is typing in this terminal; the input waits until they pause for ${typingQuietMs / 1000} s.` };
    }
    return undefined;
  };
  return async ({ softExpired }) => {
    const busyTyping = typing();
    if (busyTyping) return busyTyping;
    // Quiet by the last key this process has read; but a relay starved of CPU (a loaded machine)
    // runs its due timers before it reads the input that arrived meanwhile, so keys a person typed a
    // moment ago could still sit unread in a socket. Let the event loop read what has arrived
    // (setImmediate runs after its I/O poll), then look again: only then is the quiet real.
    await new Promise<void>((resolve) => setImmediate(resolve));
    const typedMeanwhile = typing();
    if (typedMeanwhile) return typedMeanwhile;
    const now = Date.now();
    if (!softExpired) {
      const outputAt = options.lastOutputAt();
      if (outputAt === 0 && options.waitForFirstOutput) return { code: 'starting', soft: true, reason: 'The program has printed nothing yet.' };
      if (outputAt > 0 && now - outputAt < quietMs) return { code: 'busy', soft: true, reason: 'Its output is still arriving.' };
    }
    if (options.prompt) return options.prompt();
    return undefined;
  };
}
