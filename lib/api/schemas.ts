import { z } from 'zod';
import {
  AgentSummarySchema, MAX_BODY_BYTES, ReleaseOutcomeSchema, SendInputRequestSchema, SendPayloadSchema,
  SpawnRequestSchema, StatusResponseSchema, StoredMessageSchema, TerminalSizeSchema, WorkerErrorCodeSchema,
  WorkerInfoSchema, WorkerNameSchema,
} from '../protocol';

/**
 * HTTP bodies and query strings for app/api/*. Shapes come from lib/protocol; this file only picks
 * and composes them for HTTP, and is the source of /api/openapi.json (lib/api/openapi.ts).
 */

export const ApiErrorSchema = z.object({
  error: z.object({
    code: z.union([WorkerErrorCodeSchema, z.string()]),
    message: z.string(),
    field: z.string().optional(),
  }),
});

export const WorkerNameParamSchema = z.object({ name: WorkerNameSchema });

/** POST /api/workers. */
export const SpawnBodySchema = SpawnRequestSchema;
export const WorkerListResponseSchema = z.object({ workers: z.array(WorkerInfoSchema) });

/** DELETE /api/workers/:name?force=1&remove=1&reason=… */
const Flag = z.enum(['1', '0', 'true', 'false']).transform((v) => v === '1' || v === 'true');
export const ReleaseQuerySchema = z.object({
  force: Flag.optional(),
  /** After it has exited, also forget the worker (it leaves the list; its log stays on disk). */
  remove: Flag.optional(),
  reason: z.string().max(1024).optional(),
});
export const ReleaseResponseSchema = ReleaseOutcomeSchema;

/** POST /api/workers/:name/input */
export const InputBodySchema = SendInputRequestSchema.pick({ data: true });
/** POST /api/workers/:name/resize */
export const ResizeBodySchema = z.object(TerminalSizeSchema);
export const OkResponseSchema = z.object({ ok: z.literal(true) });

/** GET /api/workers/:name/output?since=&max= */
export const OUTPUT_MAX_BYTES = 4 * 1024 * 1024;
export const OutputQuerySchema = z.object({
  since: z.coerce.number().int().min(0).optional(),
  max: z.coerce.number().int().min(1).max(OUTPUT_MAX_BYTES).optional(),
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
  limit: z.coerce.number().int().min(1).max(1000).optional(),
  /** Only messages strictly older than this Unix-ms timestamp (paging backwards). */
  before: z.coerce.number().int().min(0).optional(),
});
export const MessageListResponseSchema = z.object({ messages: z.array(StoredMessageSchema) });

/** POST /api/messages: sent as the dashboard user. */
export const SendMessageBodySchema = SendPayloadSchema.pick({ thread: true, data: true }).extend({
  to: z.string().min(1).max(64),
  body: z.string().min(1).max(MAX_BODY_BYTES),
});
export const SendMessageResponseSchema = z.object({ id: z.string(), recipients: z.array(z.string()) });

export const StatusSchema = StatusResponseSchema;
