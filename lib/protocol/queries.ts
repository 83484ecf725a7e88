import { z } from 'zod';

/** Query requests and responses. A response reuses the request id; its type is in QUERY_RESPONSE_TYPES. */
export const QUERY_RESPONSE_TYPES = {
  STATUS: 'STATUS_RESPONSE',
  LIST_AGENTS: 'LIST_AGENTS_RESPONSE',
  LIST_CONNECTED_AGENTS: 'LIST_CONNECTED_AGENTS_RESPONSE',
  INBOX: 'INBOX_RESPONSE',
  // The published v1 clients wait for MESSAGES_RESPONSE, not MESSAGES_QUERY_RESPONSE.
  MESSAGES_QUERY: 'MESSAGES_RESPONSE',
} as const;
export type QueryType = keyof typeof QUERY_RESPONSE_TYPES;

export const StatusRequestSchema = z.looseObject({});
export const StatusResponseSchema = z.object({
  version: z.string(),
  uptime: z.number(),
  agentCount: z.number(),
  workerCount: z.number(),
  socketPath: z.string(),
  projectRoot: z.string().optional(),
  dashboardUrl: z.string().optional(),
  storage: z.object({
    persistent: z.boolean(),
    driver: z.string(),
    canRead: z.boolean(),
    /** False while writes are held in memory because the database cannot take them (disk full). */
    canWrite: z.boolean(),
    /** Writes waiting in memory to be written again; they are retried every second. */
    heldWrites: z.number().optional(),
    /** Writes given up (too much was held for too long). */
    droppedWrites: z.number().optional(),
    /** Why writes are held, e.g. "disk full (database or disk is full)". */
    lastWriteError: z.string().optional(),
  }),
  /** The filesystem of the data directory (.agent-relay: database, output logs). */
  disk: z.object({ path: z.string(), freeBytes: z.number(), totalBytes: z.number() }).optional(),
  /**
   * How release reaches every process a worker started: its own cgroup (v2, v1, a systemd user
   * scope) or, without one, the process group plus a /proc sweep (server/spawn/process-tree).
   */
  containment: z.object({ mode: z.enum(['cgroup-v2', 'cgroup-v1', 'systemd-scope', 'process-group']), detail: z.string() }).optional(),
  /** This relay as a node of a cluster (docs/cluster.md): absent without one. */
  cluster: z
    .object({
      node: z.string(),
      cluster: z.string(),
      connected: z.boolean(),
      server: z.string().optional(),
      nodes: z.array(z.object({ node: z.string(), reachable: z.boolean(), dashboardUrl: z.string().optional(), version: z.string() })),
      outbox: z.object({ published: z.number(), batches: z.number().optional(), queuedBytes: z.number(), retries: z.number(), oversize: z.number() }),
    })
    .optional(),
});
export type StatusResponse = z.infer<typeof StatusResponseSchema>;

export const ListAgentsRequestSchema = z.looseObject({
  includeIdle: z.boolean().optional(),
  includeInternal: z.boolean().optional(),
  /** Cluster (extension): only agents of this node. */
  node: z.string().max(64).optional(),
});
export const AgentSummarySchema = z.object({
  name: z.string(),
  cli: z.string().optional(),
  idle: z.boolean(),
  parent: z.string().optional(),
  team: z.string().optional(),
  pid: z.number().optional(),
  /** Cluster (extension, docs/cluster.md): the node the agent is connected to, or was last. */
  node: z.string().optional(),
});
export type AgentSummary = z.infer<typeof AgentSummarySchema>;
export const ListAgentsResponseSchema = z.object({ agents: z.array(AgentSummarySchema) });

export const ListConnectedAgentsRequestSchema = z.looseObject({});
export const ListConnectedAgentsResponseSchema = z.object({
  agents: z.array(z.object({ name: z.string(), cli: z.string().optional(), idle: z.literal(false) })),
});

export const InboxRequestSchema = z.looseObject({
  agent: z.string().optional(),
  limit: z.number().int().positive().max(1000).optional(),
  unreadOnly: z.boolean().optional(),
  from: z.string().optional(),
});
export const InboxMessageSchema = z.object({
  id: z.string(),
  from: z.string(),
  body: z.string(),
  thread: z.string().optional(),
  timestamp: z.number(),
});
export const InboxResponseSchema = z.object({ messages: z.array(InboxMessageSchema) });

export const MessageStatusSchema = z.enum(['unread', 'delivered', 'acked']);
export type MessageStatus = z.infer<typeof MessageStatusSchema>;

export const MessagesQueryRequestSchema = z.looseObject({
  limit: z.number().int().positive().max(10_000).optional(),
  sinceTs: z.number().optional(),
  from: z.string().optional(),
  to: z.string().optional(),
  thread: z.string().optional(),
  order: z.enum(['asc', 'desc']).optional(),
});
export type MessagesQuery = z.infer<typeof MessagesQueryRequestSchema>;
export const StoredMessageSchema = z.object({
  id: z.string(),
  from: z.string(),
  to: z.string(),
  body: z.string(),
  thread: z.string().optional(),
  timestamp: z.number(),
  status: MessageStatusSchema,
  isBroadcast: z.boolean().optional(),
  data: z.record(z.string(), z.unknown()).optional(),
});
export type StoredMessageView = z.infer<typeof StoredMessageSchema>;
export const MessagesResponseSchema = z.object({ messages: z.array(StoredMessageSchema) });
