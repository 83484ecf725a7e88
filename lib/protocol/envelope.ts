import { z } from 'zod';

/** Protocol v1 envelope and message payloads. The single source of these shapes for daemon, SDK, API and UI. */
export const PROTOCOL_VERSION = 1;

export const MESSAGE_TYPES = [
  'HELLO', 'WELCOME', 'SEND', 'DELIVER', 'ACK', 'NACK', 'PING', 'PONG', 'ERROR', 'BUSY', 'BYE',
  'SUBSCRIBE', 'UNSUBSCRIBE', 'AGENT_READY',
  'SPAWN', 'SPAWN_RESULT', 'RELEASE', 'RELEASE_RESULT', 'SEND_INPUT', 'SEND_INPUT_RESULT', 'LIST_WORKERS', 'LIST_WORKERS_RESULT',
  'SET_INJECT_MODE', 'SET_INJECT_MODE_RESULT',
  'STATUS', 'STATUS_RESPONSE', 'INBOX', 'INBOX_RESPONSE', 'LIST_AGENTS', 'LIST_AGENTS_RESPONSE',
  'LIST_CONNECTED_AGENTS', 'LIST_CONNECTED_AGENTS_RESPONSE', 'MESSAGES_QUERY', 'MESSAGES_RESPONSE',
] as const;

/** Known v1 types this daemon does not implement: answered with ERROR UNSUPPORTED, never silence. */
export const UNSUPPORTED_TYPES = [
  'RESUME', 'STATE', 'SYNC', 'SYNC_SNAPSHOT', 'SYNC_DELTA', 'SHADOW_BIND', 'SHADOW_UNBIND', 'LOG',
  'CHANNEL_JOIN', 'CHANNEL_LEAVE', 'CHANNEL_MESSAGE', 'CHANNEL_INFO', 'CHANNEL_MEMBERS', 'CHANNEL_TYPING',
  'REMOVE_AGENT', 'HEALTH', 'METRICS', 'PROPOSAL_CREATE', 'VOTE',
] as const;

export const EntityTypeSchema = z.enum(['agent', 'user']);
export type EntityType = z.infer<typeof EntityTypeSchema>;

export const SyncMetaSchema = z.object({
  correlationId: z.string(),
  timeoutMs: z.number().int().positive().optional(),
  blocking: z.boolean(),
});

export const SendMetaSchema = z.looseObject({
  requires_ack: z.boolean().optional(),
  ttl_ms: z.number().optional(),
  importance: z.number().min(0).max(100).optional(),
  replyTo: z.string().optional(),
  sync: SyncMetaSchema.optional(),
});
export type SendMeta = z.infer<typeof SendMetaSchema>;

export const DeliveryInfoSchema = z.object({
  seq: z.number().int(),
  session_id: z.string(),
  originalTo: z.string().optional(),
});
export type DeliveryInfo = z.infer<typeof DeliveryInfoSchema>;

/** The outer envelope. `payload` is checked per type with the schemas below. */
export const EnvelopeSchema = z.looseObject({
  v: z.literal(PROTOCOL_VERSION),
  type: z.string(),
  id: z.string().min(1).max(256),
  ts: z.number(),
  from: z.string().optional(),
  to: z.string().optional(),
  topic: z.string().optional(),
  payload: z.unknown(),
  payload_meta: SendMetaSchema.optional(),
  delivery: DeliveryInfoSchema.optional(),
});
// Spelled out: Omit<> over the loose schema's index signature would turn every field into `unknown`.
export type Envelope<P = unknown> = {
  v: typeof PROTOCOL_VERSION;
  type: string;
  id: string;
  ts: number;
  from?: string;
  to?: string;
  topic?: string;
  payload: P;
  payload_meta?: SendMeta;
  delivery?: DeliveryInfo;
  [key: string]: unknown;
};

export const HelloPayloadSchema = z.looseObject({
  agent: z.string(),
  entityType: EntityTypeSchema.optional(),
  cli: z.string().optional(),
  program: z.string().optional(),
  model: z.string().optional(),
  task: z.string().optional(),
  workingDirectory: z.string().optional(),
  team: z.string().optional(),
  displayName: z.string().optional(),
  avatarUrl: z.string().optional(),
  capabilities: z
    .looseObject({
      ack: z.boolean().optional(),
      resume: z.boolean().optional(),
      max_inflight: z.number().optional(),
      supports_topics: z.boolean().optional(),
    })
    .optional(),
  session: z.looseObject({ resume_token: z.string().optional() }).optional(),
});
export type HelloPayload = z.infer<typeof HelloPayloadSchema>;

export const WelcomePayloadSchema = z.object({
  session_id: z.string(),
  resume_token: z.string(),
  server: z.object({ max_frame_bytes: z.number(), heartbeat_ms: z.number() }),
});
export type WelcomePayload = z.infer<typeof WelcomePayloadSchema>;

export const PayloadKindSchema = z.enum(['message', 'action', 'state', 'thinking']);
export const SendPayloadSchema = z.looseObject({
  kind: PayloadKindSchema.default('message'),
  body: z.string(),
  data: z.record(z.string(), z.unknown()).optional(),
  thread: z.string().optional(),
});
export type SendPayload = z.infer<typeof SendPayloadSchema>;

export const AckPayloadSchema = z.looseObject({
  ack_id: z.string(),
  seq: z.number().optional(),
  cumulative_seq: z.number().optional(),
  sack: z.array(z.number()).optional(),
  correlationId: z.string().optional(),
  response: z.string().optional(),
  responseData: z.unknown().optional(),
});
export type AckPayload = z.infer<typeof AckPayloadSchema>;

export const PingPayloadSchema = z.looseObject({ nonce: z.string() });
export const BusyPayloadSchema = z.object({ retry_after_ms: z.number(), queue_depth: z.number() });
export const AgentReadyPayloadSchema = z.object({
  name: z.string(),
  cli: z.string().optional(),
  task: z.string().optional(),
  connectedAt: z.number(),
});
export type AgentReadyPayload = z.infer<typeof AgentReadyPayloadSchema>;

export const ERROR_CODES = [
  'BAD_REQUEST', 'NOT_FOUND', 'DUPLICATE_CONNECTION', 'NAME_TAKEN_BY_WORKER', 'RESUME_TOO_OLD', 'RATE_LIMITED', 'TIMEOUT', 'UNSUPPORTED', 'INTERNAL',
] as const;
export const ErrorCodeSchema = z.enum(ERROR_CODES);
export type ErrorCode = z.infer<typeof ErrorCodeSchema>;
export const ErrorPayloadSchema = z.object({
  code: ErrorCodeSchema,
  message: z.string(),
  fatal: z.boolean(),
  replyTo: z.string().optional(),
});
export type ErrorPayload = z.infer<typeof ErrorPayloadSchema>;

/** SUBSCRIBE / UNSUBSCRIBE carry `topic` at envelope level and an empty payload. */
export const EmptyPayloadSchema = z.looseObject({});
