import { z } from 'zod';
import { SendMetaSchema, SendPayloadSchema } from './envelope';
import { NAME_PATTERN } from './names';
import { InjectActionSchema, MAX_BODY_BYTES, ReleaseRequestSchema, SpawnRequestSchema, TerminalSizeSchema, WorkerErrorCodeSchema, WorkerInfoSchema } from './workers';

/**
 * What relay nodes say to each other through NATS (docs/cluster.md): messages in the stream and
 * their acknowledgements, worker operations (request/reply), directory entries (KV). Every node
 * parses what it receives with these, as it parses its own socket's frames.
 */

const utf8Length = (s: string): number => new TextEncoder().encode(s).length;

// ---- messages ----

/**
 * Batches in the stream and acknowledgements back. A message from another node meets what this
 * node's socket would check of a SEND (server/daemon/connection.ts): names of the relay's pattern,
 * body and data within MAX_BODY_BYTES. A node is trusted with who the sender is, not with the shape
 * of what it sends (docs/cluster.md, Security and threat model).
 */
const Name = z.string().regex(NAME_PATTERN, 'not a relay name');
const Body = z.string().refine((b) => b.length * 3 <= MAX_BODY_BYTES || utf8Length(b) <= MAX_BODY_BYTES, `larger than ${MAX_BODY_BYTES} bytes`);

export const WireMessageSchema = z.object({
  /** The DELIVER id the sending router gave this recipient's copy. */
  id: z.string().min(1).max(256),
  // Dashboard and the relay's own helpers send through their node's router too: any relay name.
  from: Name,
  to: Name,
  originalTo: z.union([Name, z.literal('*'), z.literal('@users')]).optional(),
  topic: z.string().optional(),
  ts: z.number(),
  payload: SendPayloadSchema.extend({
    body: Body,
    data: z.record(z.string(), z.unknown()).refine((d) => JSON.stringify(d).length <= MAX_BODY_BYTES, `data larger than ${MAX_BODY_BYTES} bytes of JSON`).optional(),
  }),
  meta: SendMetaSchema.optional(),
  /** Its place among what one node instance sent this recipient (1, 2, …): orders the live copies. */
  lseq: z.number().int().positive().optional(),
  /** A live copy was sent too: the receiver may have it already (docs/cluster.md, Live copies). */
  live: z.literal(true).optional(),
});
export type WireMessage = z.infer<typeof WireMessageSchema>;

/** One JetStream message: relay messages from one node for one recipient, in order. */
export const WireBatchSchema = z.object({
  v: z.literal(1),
  /** The sending node: where acknowledgements go. */
  node: z.string().min(1).max(64),
  /** Re-sent by a node after it restarted: it may have been stored before, so the receiver checks. */
  redo: z.boolean().optional(),
  /** The sending node's instance (one per process run): with each item's `lseq`, its place in order. */
  inst: z.string().min(1).max(128).optional(),
  /** Each checked on its own (WireMessageSchema): one bad item is dropped, not its batch. */
  items: z.array(z.unknown()).min(1),
});

/** Live copies on `live.<node>` (core NATS, at most once): what one node just sent recipients connected there. */
export const WireLiveBatchSchema = z.object({
  v: z.literal(1),
  node: z.string().min(1).max(64),
  inst: z.string().min(1).max(128),
  items: z.array(z.unknown()).min(1),
});

export const WireAckSchema = z.object({
  v: z.literal(1),
  acks: z.array(z.object({ id: z.string(), ack: z.record(z.string(), z.unknown()).optional() })),
});
export type WireAck = z.infer<typeof WireAckSchema>;

// ---- worker operations ----

/** NATS request/reply on `rpc.<owner>` (docs/cluster.md, Workers on any node). */

const ContextSchema = z.object({
  requester: z.string().max(64).optional(),
  trusted: z.boolean().optional(),
  fromWorker: z.boolean().optional(),
});

const WorkerName = z.string().min(1).max(64);

export const RpcRequestSchema = z.discriminatedUnion('op', [
  z.object({ op: z.literal('spawn'), request: SpawnRequestSchema, context: ContextSchema.optional() }),
  z.object({ op: z.literal('resolve'), request: SpawnRequestSchema, context: ContextSchema.optional() }),
  z.object({ op: z.literal('release'), ...ReleaseRequestSchema.shape }),
  z.object({ op: z.literal('input'), name: WorkerName, data: z.string() }),
  z.object({ op: z.literal('inject'), name: WorkerName, mode: InjectActionSchema }),
  z.object({ op: z.literal('resize'), name: WorkerName, cols: TerminalSizeSchema.cols, rows: TerminalSizeSchema.rows }),
  z.object({ op: z.literal('read'), name: WorkerName, since: z.number().int().min(0), maxBytes: z.number().int().min(1).max(4 * 1024 * 1024).optional() }),
  z.object({ op: z.literal('snapshot'), name: WorkerName }),
  z.object({ op: z.literal('remove'), name: WorkerName, deleteLog: z.boolean().optional() }),
  /** Hold (or drop) a lease on live output: the owner publishes `out.<owner>.<name>` while one is live. */
  z.object({ op: z.literal('watch'), name: WorkerName, viewer: z.string().min(1).max(64), on: z.boolean() }),
  /** A viewer `node:socket` claims, takes or leaves the driver's seat of a worker of the owner (drive/watch). */
  z.object({ op: z.literal('drive'), name: WorkerName, viewer: z.string().min(3).max(160).regex(/^[^:]+:[^:]+$/), action: z.enum(['claim', 'take', 'leave']) }),
]);
export type RpcRequest = z.infer<typeof RpcRequestSchema>;

export const RpcErrorSchema = z.object({
  code: z.union([WorkerErrorCodeSchema, z.string()]),
  message: z.string(),
  field: z.string().optional(),
  files: z.array(z.string()).optional(),
  gap: z.object({ from: z.number(), to: z.number() }).optional(),
});

export const RpcReplySchema = z.union([
  z.object({ ok: z.literal(true), result: z.unknown() }),
  z.object({ ok: z.literal(false), error: RpcErrorSchema }),
]);
export type RpcReply = z.infer<typeof RpcReplySchema>;

// ---- directory (KV) ----

export const NodeRecordSchema = z.object({
  node: z.string(),
  instance: z.string(),
  startedAt: z.number(),
  host: z.string(),
  pid: z.number(),
  version: z.string(),
  dashboardUrl: z.string().optional(),
  /** false while the node starts: it holds its name, but answers no worker request yet (absent: serving). */
  serving: z.boolean().optional(),
});
export type NodeRecord = z.infer<typeof NodeRecordSchema>;

export const AgentRecordSchema = z.object({
  name: z.string(),
  node: z.string(),
  entityType: z.enum(['agent', 'user']),
  facts: z.object({ cli: z.string().optional(), task: z.string().optional(), team: z.string().optional(), model: z.string().optional(), pid: z.number().optional(), parent: z.string().optional() }).partial(),
  online: z.boolean(),
  at: z.number(),
});
export type AgentRecord = z.infer<typeof AgentRecordSchema>;

export const WorkerRecordSchema = z.object({ node: z.string(), info: WorkerInfoSchema });
export type WorkerRecord = z.infer<typeof WorkerRecordSchema>;

