/**
 * An agent profile: everything agent-relay knows about one agent CLI (claude, codex, gemini, …), as
 * the pinned version spells it. The SpawnManager asks the profile how to start the CLI, when it is
 * ready for input, what a first-run dialog looks like, how to submit a message, how to hand it our
 * MCP server and tell it who it is, and how to ask it to leave. Nothing about a particular CLI lives
 * anywhere else (docs/agents.md describes each one).
 */

/** The rendered terminal as plain text: what a person sees, not the bytes that drew it. */
export interface ScreenText {
  /** The visible rows, top to bottom, trailing spaces trimmed (wide characters once). */
  lines: string[];
  /** The same rows with faint (dim) characters as spaces: an empty prompt's placeholder drops out. */
  solid?: string[];
  /** Cursor position in the visible rows (0-based). */
  cursor: { x: number; y: number };
  /** True while the CLI uses the alternate screen buffer (full-screen TUIs). */
  altScreen: boolean;
  /** The CLI turned on bracketed paste mode (`ESC[?2004h`): pasted text is marked as such. */
  bracketedPaste: boolean;
  cols: number;
  rows: number;
  /** Output offset this screen reflects. */
  offset: number;
}

/** A first-run (or any blocking) screen that a person must answer; we never type into it. */
export interface AgentDialog {
  /** Stable id, e.g. `bypass-permissions`. */
  id: string;
  /** What a person should do, shown as the worker's needs-attention reason. */
  reason: string;
  matches(screen: ScreenText): boolean;
}

export interface ArgsOptions {
  /** Skip the CLI's permission prompts (the dialog's "Skip permission prompts"; `interactive: false`). */
  skipPermissions: boolean;
  model?: string;
}

/** What the relay knows about a worker when it builds its identity and MCP launch. */
export interface WorkerContext {
  name: string;
  /** Other agents on the relay when the worker starts (it can ask relay_who later). */
  peers: string[];
  spawnerName?: string;
  task?: string;
  /** `<dataDir>`: per-worker files (MCP config, instructions) go below it, never into the project. */
  dataDir: string;
  /**
   * `<dataDir>/workers/<name>`: this worker's own directory, emptied before each launch writes its
   * files and links, and removed with the worker (Gemini CLI's per-worker home lives here).
   */
  privateDir: string;
  socketPath: string;
  outboxDir: string;
  cwd: string;
  /** The worker's environment so far (the MCP server command needs AGENT_RELAY_HOME from it). */
  env: Record<string, string>;
}

/** How our MCP server (`agent-relay mcp serve`) is described to a CLI. */
export interface McpServerSpec {
  command: string;
  args: string[];
  env: Record<string, string>;
}

/** Extra arguments, environment and files a worker's launch needs. */
export interface LaunchAddition {
  args?: string[];
  env?: Record<string, string>;
  /** Private files the launch needs (written 0600 under dataDir; not written when only resolving). */
  files?: Array<{ path: string; content: string }>;
  /** Symbolic links the launch needs, `path` (under privateDir) -> `target` (created with the files). */
  links?: Array<{ path: string; target: string }>;
}

export interface AgentProfile {
  /** Preset name (`cli: 'claude'`). */
  id: string;
  /** Shown to people: "Claude Code". */
  label: string;
  /** Executable looked up on PATH (or an absolute path). */
  command: string;
  /** The npm package of the version we pin and test (installed by test/agents for the real-CLI tests). */
  npm?: { name: string; version: string; bin: string };
  /** Preset flags before the request's own args. */
  args(options: ArgsOptions): string[];
  /**
   * Flags this profile passes, each as `--help` of the pinned version must list it (a test checks,
   * so a renamed flag fails loudly). `helpArgs` prints the help text.
   */
  flags: { help: string[]; helpArgs?: string[] };
  /** Environment the CLI needs set (before the request's own env, which wins). */
  env?(options: ArgsOptions): Record<string, string>;
  /**
   * Refuses a launch we know the CLI would refuse (e.g. root), with a sentence naming the fixes.
   * Returns undefined when fine.
   */
  refuse?(options: ArgsOptions & { env: Record<string, string | undefined>; uid: number | undefined }): string | undefined;
  /**
   * Typed into the terminal first on release, before any signal. An array is written part by part,
   * a moment apart (a TUI may read an Enter right behind typed text as a newline).
   */
  politeExit?: string | string[];
  /** How long the CLI gets to exit after its polite exit before SIGTERM (default WORKER_TIMING.politeExitMs, 2 s; never more than the release grace). */
  politeExitMs?: number;
  /**
   * The polite exit is typed once more after this many ms if the CLI still shows its prompt (it did
   * not start to quit), in case its keys were taken for something else the moment they arrived (Codex
   * was still running 5 s after them once in a CI run). Never while it quits: its prompt is gone then.
   */
  politeExitRetryMs?: number;
  /** How a message is typed in: bracketed paste when the CLI turned it on, then Enter after a delay. */
  submit: { bracketedPaste: boolean; enterDelayMs: number };
  /** The CLI's input prompt is on screen and it is not busy: input typed now is read as a message. */
  atPrompt?(screen: ScreenText): boolean;
  /** The prompt holds text nobody submitted (a person is typing): do not type over it. */
  promptHasUnsentText?(screen: ScreenText): boolean;
  /** Blocking screens a person must answer (first-run warnings, trust, login). */
  dialogs: AgentDialog[];
  /** Gives the CLI our MCP server for this run only. */
  mcp?(server: McpServerSpec, worker: WorkerContext): LaunchAddition;
  /** Tells the agent who it is and how to reach the others (never written into the project). */
  identity?(text: string, worker: WorkerContext): LaunchAddition;
}
