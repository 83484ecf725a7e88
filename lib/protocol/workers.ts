import { z } from 'zod';
import { NAME_PATTERN } from './names';
import { WorktreeInfoSchema, WorktreeOptionSchema } from './worktrees';

/** Worker requests and results, shared by the protocol, the HTTP API, socket.io, the CLI and MCP. */

/** Largest single write to a worker's terminal (bytes of UTF-8). */
export const MAX_INPUT_BYTES = 64 * 1024;
/** Largest message body accepted from any surface. */
export const MAX_BODY_BYTES = 256 * 1024;

export const WORKER_ERROR_CODES = [
  'INVALID_NAME', 'NAME_TAKEN', 'POLICY_DENIED', 'LIMIT_REACHED', 'CLI_NOT_FOUND', 'BAD_CWD',
  'NOT_FOUND', 'NOT_RUNNING', 'INPUT_TOO_LARGE', 'BAD_REQUEST', 'INTERNAL',
  // Worktrees (docs/worktrees.md).
  'NOT_A_REPOSITORY', 'UNKNOWN_BASE', 'DIRTY_BASE', 'BRANCH_TAKEN', 'GIT_MISSING', 'NO_WORKTREE',
  'MERGE_CONFLICT', 'NOT_FAST_FORWARD', 'UNCOMMITTED_CHANGES', 'UNMERGED_WORK', 'NOTHING_TO_COMMIT',
  'NO_BASE_BRANCH', 'BASE_CHECKOUT_BUSY', 'GIT_FAILED',
  // Agent CLIs (server/agents): a launch the CLI is known to refuse as root; a CLI that exited
  // within the first seconds (the message carries its last lines of output).
  'ROOT_NOT_ALLOWED', 'EXITED_AT_START',
  // Output asked for is in neither the log nor memory (the disk was full): `gap` says which bytes.
  'OUTPUT_GAP',
  // Cluster (docs/cluster.md): a spawn or worker operation for a node no one knows, or one not heard from.
  'NO_SUCH_NODE', 'NODE_UNREACHABLE',
] as const;
export const WorkerErrorCodeSchema = z.enum(WORKER_ERROR_CODES);
export type WorkerErrorCode = z.infer<typeof WorkerErrorCodeSchema>;

/** Error thrown by the SpawnManager: a code for programs and a sentence (what is wrong, what to do) for people. */
export class WorkerError extends Error {
  constructor(
    readonly code: WorkerErrorCode,
    message: string,
    readonly field?: 'name' | 'cli' | 'cwd' | 'args' | 'data' | 'env' | 'worktree',
    /** The files an error is about (merge conflicts, uncommitted changes in the base). */
    readonly files?: string[],
    /** OUTPUT_GAP: the bytes that are gone, from `from` up to `to` (exclusive), where reading can go on. */
    readonly gap?: { from: number; to: number },
  ) {
    super(message);
    this.name = 'WorkerError';
  }
}

export const WorkerNameSchema = z
  .string()
  .regex(NAME_PATTERN, 'Use 1-64 letters, digits, ".", "_" or "-", starting with a letter or "_".');

export const TerminalSizeSchema = {
  cols: z.number().int().min(2).max(1000),
  rows: z.number().int().min(1).max(500),
};

export const SpawnRequestSchema = z.object({
  name: WorkerNameSchema,
  cli: z.string().min(1).max(4096),
  args: z.array(z.string().max(65_536)).max(256).optional(),
  task: z.string().max(MAX_BODY_BYTES).optional(),
  cwd: z.string().max(4096).optional(),
  team: z.string().max(128).optional(),
  model: z.string().max(256).optional(),
  env: z.record(z.string(), z.string()).optional(),
  cols: TerminalSizeSchema.cols.optional(),
  rows: TerminalSizeSchema.rows.optional(),
  spawnerName: z.string().max(64).optional(),
  interactive: z.boolean().optional(),
  /** Run in a new git worktree on its own branch (extension field; docs/worktrees.md). */
  worktree: WorktreeOptionSchema.optional(),
  /** Cluster (extension, docs/cluster.md): the node to run it on; default this node. */
  node: z.string().regex(NAME_PATTERN, 'A node name is 1-64 letters, digits, ".", "_" or "-", starting with a letter or "_".').optional(),
});
export type SpawnRequest = z.infer<typeof SpawnRequestSchema>;

/** What a spawn request would run (SpawnManager.resolve, POST /api/spawn/resolve): shown before spawning, nothing started. */
export const SpawnResolutionSchema = z.object({
  file: z.string(),
  args: z.array(z.string()),
  /** The command as a shell would spell it. */
  commandLine: z.string(),
  cwd: z.string(),
  preset: z.string().optional(),
  /** The agent CLI's name when a profile knows it ("Claude Code"). */
  agent: z.string().optional(),
  /** The preset's permission-skipping flags are included ("Skip permission prompts"). */
  skipPermissions: z.boolean(),
  /** The flags "Skip permission prompts" adds for this preset (empty: it has none). */
  permissionFlags: z.array(z.string()),
  /** The agent gets the relay's MCP server for this run. */
  mcp: z.boolean(),
});
export type SpawnResolution = z.infer<typeof SpawnResolutionSchema>;

export const WorkerStatusSchema = z.enum(['starting', 'running', 'idle', 'exited']);
export type WorkerStatus = z.infer<typeof WorkerStatusSchema>;

/** How messages are typed into a worker: `auto` as soon as it is ready, `hold` keeps them queued. */
export const InjectModeSchema = z.enum(['auto', 'hold']);
/** What a person can ask for: the two modes, or `flush` (deliver what is held now, keep holding). */
export const InjectActionSchema = z.enum(['auto', 'hold', 'flush']);
export type InjectAction = z.infer<typeof InjectActionSchema>;

/**
 * Why the first queued input is not typed yet: held by a person, someone typing in that terminal,
 * text left unsent at the prompt, a dialog on screen, the agent not at its prompt (busy), output
 * still arriving, or nothing printed yet.
 */
export const InjectionWaitCodeSchema = z.enum(['held', 'typing', 'unsent-text', 'dialog', 'not-at-prompt', 'busy', 'starting']);
export type InjectionWaitCode = z.infer<typeof InjectionWaitCodeSchema>;

export const InjectionStateSchema = z.object({
  mode: InjectModeSchema,
  /** Inputs queued and not typed yet (messages, the task, relay error notices), held ones included. */
  pending: z.number().int().min(0),
  /** Of those, how many wait only because deliveries are held. */
  held: z.number().int().min(0),
  /** Present once the first one has waited more than a second: why, and since when (Unix ms). */
  waiting: z.object({ code: InjectionWaitCodeSchema, reason: z.string(), since: z.number() }).optional(),
});
export type InjectionState = z.infer<typeof InjectionStateSchema>;

/**
 * How a later run recognises a worker's processes after a crash, and only them
 * (server/spawn/survivors.ts): the guard's pid with its start time (a pid alone may be reused),
 * the random id every descendant inherits as AGENT_RELAY_WORKER_ID, the relay that ran it, and its cgroup.
 */
export const WorkerTrackingSchema = z.object({
  workerId: z.string(),
  /** The guard shell: session leader, so also the process group and session id. */
  pgid: z.number(),
  /** The guard's start time in clock ticks after boot (/proc/<pid>/stat field 22). */
  startTicks: z.number(),
  bootId: z.string().optional(),
  owner: z.object({ pid: z.number(), startTicks: z.number() }),
  containment: z.enum(['cgroup-v2', 'cgroup-v1', 'systemd-scope', 'process-group']),
  cgroup: z
    .object({ mode: z.enum(['cgroup-v2', 'cgroup-v1', 'systemd-scope']), path: z.string().optional(), unit: z.string().optional() })
    .optional(),
  /** Nothing of the worker is left running (its cgroup is gone): a later run need not look for it. */
  done: z.boolean().optional(),
});
export type WorkerTracking = z.infer<typeof WorkerTrackingSchema>;

export const WorkerInfoSchema = z.object({
  name: z.string(),
  cli: z.string(),
  args: z.array(z.string()),
  task: z.string(),
  team: z.string().optional(),
  model: z.string().optional(),
  cwd: z.string(),
  pid: z.number().optional(),
  spawnerName: z.string().optional(),
  spawnedAt: z.number(),
  status: WorkerStatusSchema,
  /** True once the task has been typed into the terminal. */
  taskDelivered: z.boolean().optional(),
  /**
   * True when a person is needed: the agent waits for one (an agent profile saw a dialog or a
   * question), or it exited abnormally (not after a release). Quiet alone is not attention.
   */
  needsAttention: z.boolean().optional(),
  /** What the person is needed for, as a sentence ("Claude Code asks … : answer in its terminal"). */
  attentionReason: z.string().optional(),
  /** It exited because it was released (dashboard, CLI, API, another agent): a deliberate end. */
  released: z.boolean().optional(),
  exitCode: z.number().nullable().optional(),
  signal: z.string().nullable().optional(),
  exitedAt: z.number().optional(),
  /** Typed input waiting for the worker (absent for records from before this field, and once exited). */
  injection: InjectionStateSchema.optional(),
  cols: z.number(),
  rows: z.number(),
  outputBytes: z.number(),
  tracking: WorkerTrackingSchema.optional(),
  /**
   * Stretches of the output missing from the log file (the disk was full, or a write failed):
   * "output log incomplete from byte `from` (`reason`)". `to` is null while it is still open.
   * Live viewers got those bytes; the log and `output?since=` inside one cannot (410 OUTPUT_GAP).
   */
  logGaps: z.array(z.object({ from: z.number(), to: z.number().nullable(), reason: z.string() })).optional(),
  /**
   * The relay that ran this worker stopped without releasing it (crashed, or was killed); the next
   * `up` ended what was left of it. `ended`: how many of its processes were still running.
   */
  lost: z.object({ reason: z.string(), at: z.number(), ended: z.number() }).optional(),
  /** The git worktree the worker runs in, when spawned with `worktree`. */
  worktree: WorktreeInfoSchema.optional(),
  /** Cluster (docs/cluster.md): the node that runs it. */
  node: z.string().optional(),
  /** Cluster: false while its node is not heard from (its figures are the last ones known). */
  nodeReachable: z.boolean().optional(),
});
export type WorkerInfo = z.infer<typeof WorkerInfoSchema>;

export const ReleaseRequestSchema = z.object({
  name: z.string(),
  reason: z.string().max(1024).optional(),
  force: z.boolean().optional(),
});
export type ReleaseRequest = z.infer<typeof ReleaseRequestSchema>;

export const ReleaseOutcomeSchema = z.object({
  name: z.string(),
  exitCode: z.number().nullable().optional(),
  signal: z.string().nullable().optional(),
  /**
   * How it ended: the CLI's own exit, SIGTERM, SIGHUP (a job-control shell, hung up as a closing
   * terminal would), SIGKILL after the grace period, forced SIGKILL, or already exited.
   */
  endedBy: z.enum(['exit', 'SIGTERM', 'SIGHUP', 'SIGKILL', 'force', 'already-exited']),
});
export type ReleaseOutcome = z.infer<typeof ReleaseOutcomeSchema>;

export const SendInputRequestSchema = z.object({ name: z.string(), data: z.string() });
export const SetInjectModeRequestSchema = z.object({ name: z.string(), mode: InjectActionSchema });
export type SetInjectModeRequest = z.infer<typeof SetInjectModeRequestSchema>;

const ResultBase = { replyTo: z.string(), success: z.boolean(), error: z.string().optional(), code: WorkerErrorCodeSchema.optional() };
export const SpawnResultSchema = z.object({
  ...ResultBase,
  name: z.string(),
  pid: z.number().optional(),
  policyDecision: z.object({ allowed: z.boolean(), reason: z.string().optional() }).optional(),
});
export const ReleaseResultSchema = z.object({
  ...ResultBase,
  name: z.string(),
  exitCode: z.number().nullable().optional(),
  signal: z.string().nullable().optional(),
  endedBy: ReleaseOutcomeSchema.shape.endedBy.optional(),
});
export const SendInputResultSchema = z.object({ ...ResultBase, name: z.string() });
export const SetInjectModeResultSchema = z.object({
  ...ResultBase,
  name: z.string(),
  /** The worker's injection state after the change; `flushed` counts what a flush released. */
  injection: InjectionStateSchema.optional(),
  flushed: z.number().int().min(0).optional(),
});
export const ListWorkersResultSchema = z.object({
  replyTo: z.string(),
  workers: z.array(WorkerInfoSchema),
  error: z.string().optional(),
});
