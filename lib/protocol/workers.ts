import { z } from 'zod';
import { NAME_PATTERN } from './names';

/** Worker requests and results, shared by the protocol, the HTTP API, socket.io, the CLI and MCP. */

/** Largest single write to a worker's terminal (bytes of UTF-8). */
export const MAX_INPUT_BYTES = 64 * 1024;
/** Largest message body accepted from any surface. */
export const MAX_BODY_BYTES = 256 * 1024;

export const WORKER_ERROR_CODES = [
  'INVALID_NAME', 'NAME_TAKEN', 'POLICY_DENIED', 'LIMIT_REACHED', 'CLI_NOT_FOUND', 'BAD_CWD',
  'NOT_FOUND', 'NOT_RUNNING', 'INPUT_TOO_LARGE', 'BAD_REQUEST', 'INTERNAL',
] as const;
export const WorkerErrorCodeSchema = z.enum(WORKER_ERROR_CODES);
export type WorkerErrorCode = z.infer<typeof WorkerErrorCodeSchema>;

/** Error thrown by the SpawnManager: a code for programs and a sentence (what is wrong, what to do) for people. */
export class WorkerError extends Error {
  constructor(
    readonly code: WorkerErrorCode,
    message: string,
    readonly field?: 'name' | 'cli' | 'cwd' | 'args' | 'data' | 'env',
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
});
export type SpawnRequest = z.infer<typeof SpawnRequestSchema>;

export const WorkerStatusSchema = z.enum(['starting', 'running', 'idle', 'exited']);
export type WorkerStatus = z.infer<typeof WorkerStatusSchema>;

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
  /** True when the worker looks like it waits for a person (quiet at a prompt) or has finished. */
  needsAttention: z.boolean().optional(),
  exitCode: z.number().nullable().optional(),
  signal: z.string().nullable().optional(),
  exitedAt: z.number().optional(),
  cols: z.number(),
  rows: z.number(),
  outputBytes: z.number(),
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
export const ListWorkersResultSchema = z.object({
  replyTo: z.string(),
  workers: z.array(WorkerInfoSchema),
  error: z.string().optional(),
});
