import { z } from 'zod';
import {
  AgentSummarySchema, InjectionStateSchema, MAX_BODY_BYTES, ReleaseOutcomeSchema, SendInputRequestSchema, SendPayloadSchema, SetInjectModeRequestSchema,
  SpawnRequestSchema, SpawnResolutionSchema, StatusResponseSchema, StoredMessageSchema, TerminalSizeSchema, WorkerErrorCodeSchema,
  WorkerInfoSchema, WorkerNameSchema, ChangesSchema, CommitBodySchema as CommitBody, CommitResultSchema,
  MergeBodySchema as MergeBody, MergeResultSchema, WorktreeListEntrySchema,
} from '../../lib/protocol';

/**
 * HTTP bodies and query strings for app/api/*. Shapes come from lib/protocol; this file only picks
 * and composes them for HTTP, and is the source of /api/openapi.json (server/api/openapi.ts).
 */

export const ApiErrorSchema = z.object({
  error: z.object({
    code: z.union([WorkerErrorCodeSchema, z.string()]),
    message: z.string(),
    field: z.string().optional(),
    /** The files a worktree error concerns (merge conflicts, uncommitted changes). */
    files: z.array(z.string()).optional(),
    /** OUTPUT_GAP (410): the output bytes that are gone; ask again with since=`to`. */
    gap: z.object({ from: z.number(), to: z.number() }).optional(),
  }),
});

export const WorkerNameParamSchema = z.object({ name: WorkerNameSchema });

/** POST /api/workers. */
export const SpawnBodySchema = SpawnRequestSchema;
/** POST /api/spawn/resolve: what a spawn request would run (the dialog's preview), nothing started. */
export { SpawnResolutionSchema };
export const WorkerListResponseSchema = z.object({ workers: z.array(WorkerInfoSchema) });

/** DELETE /api/workers/:name?force=1&remove=1&reason=… */
const Flag = z.enum(['1', '0', 'true', 'false']).transform((v) => v === '1' || v === 'true');
export const ReleaseQuerySchema = z.object({
  force: Flag.optional(),
  /** After it has exited, also forget the worker (it leaves the list; its log stays on disk). */
  remove: Flag.optional(),
  /** With remove: delete the worker's worktree and branch even with unmerged work (what is lost is named by the 409 without it). */
  discard: Flag.optional(),
  /** With remove: forget the worker but keep its worktree and branch (GET /api/worktrees still lists them). */
  keep: Flag.optional(),
  reason: z.string().max(1024).optional(),
});
export const ReleaseResponseSchema = ReleaseOutcomeSchema;

/** POST /api/workers/:name/input */
export const InputBodySchema = SendInputRequestSchema.pick({ data: true });
/** POST /api/workers/:name/inject: hold / flush / auto for the messages typed into the worker. */
export const InjectBodySchema = SetInjectModeRequestSchema.pick({ mode: true });
export const InjectResponseSchema = z.object({
  name: z.string(),
  injection: InjectionStateSchema,
  /** How many held inputs a flush released (0 for hold and auto). */
  flushed: z.number().int().min(0),
});
/** POST /api/workers/:name/resize */
export const ResizeBodySchema = z.object(TerminalSizeSchema);
export const OkResponseSchema = z.object({ ok: z.literal(true) });

/**
 * A whole number in a query string, written in plain decimal digits. `z.coerce.number()` took an empty
 * `since=` as 0 and `0x10`, `1e3` or ` 5` as numbers, so a typo silently read from another offset.
 */
function queryInt(min: number, max = Number.MAX_SAFE_INTEGER) {
  return z
    .string()
    .regex(/^\d{1,16}$/, 'use a whole number written in decimal digits, e.g. 0 or 4096')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));
}

/** GET /api/workers/:name/output?since=&max= */
export const OUTPUT_MAX_BYTES = 4 * 1024 * 1024;
export const OutputQuerySchema = z.object({
  since: queryInt(0).optional(),
  max: queryInt(1, OUTPUT_MAX_BYTES).optional(),
});

/** GET /api/agents: router agents with their worker (when they are one) and whether they are connected. */
export const AgentViewSchema = AgentSummarySchema.extend({
  online: z.boolean(),
  worker: WorkerInfoSchema.pick({ status: true, cli: true, exitCode: true, needsAttention: true, spawnedAt: true }).optional(),
});
export const AgentListResponseSchema = z.object({ agents: z.array(AgentViewSchema) });

/** GET /api/messages?agent=&limit=&before= */
export const MessagesListQuerySchema = z.object({
  agent: z.string().max(64).optional(),
  limit: queryInt(1, 1000).optional(),
  /** Only messages strictly older than this Unix-ms timestamp (paging backwards). */
  before: queryInt(0).optional(),
});
export const MessageListResponseSchema = z.object({ messages: z.array(StoredMessageSchema) });

/** POST /api/messages: sent as the dashboard user. */
export const SendMessageBodySchema = SendPayloadSchema.pick({ thread: true, data: true }).extend({
  to: z.string().min(1).max(64),
  body: z.string().min(1).max(MAX_BODY_BYTES),
});
export const SendMessageResponseSchema = z.object({
  id: z.string(),
  recipients: z.array(z.string()),
  /** False: delivered (or held for its recipient) but not in the database yet — the disk is full; written when space returns. */
  persisted: z.boolean(),
});

export const StatusSchema = StatusResponseSchema;

/** GET /api/workers/:name/changes?file= (docs/worktrees.md). */
export const ChangesQuerySchema = z.object({
  /** One file's diff (path from the repository root, as listed in `files`). */
  file: z.string().min(1).max(4096).optional(),
});
export const ChangesResponseSchema = ChangesSchema;
/** POST /api/workers/:name/commit */
export const CommitBodySchema = CommitBody;
export const CommitResponseSchema = CommitResultSchema;
/** POST /api/workers/:name/merge */
export const MergeBodySchema = MergeBody;
export const MergeResponseSchema = MergeResultSchema;
/** GET /api/worktrees */
export const WorktreeListResponseSchema = z.object({ worktrees: z.array(WorktreeListEntrySchema) });
/** DELETE /api/worktrees/:name: what was removed. */
export const DiscardResponseSchema = z.object({ name: z.string(), removed: z.array(z.string()) });
