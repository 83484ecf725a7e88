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
    canWrite: z.boolean(),
  }),
});
export type StatusResponse = z.infer<typeof StatusResponseSchema>;

export const ListAgentsRequestSchema = z.looseObject({
  includeIdle: z.boolean().optional(),
  includeInternal: z.boolean().optional(),
});
export const AgentSummarySchema = z.object({
  name: z.string(),
  cli: z.string().optional(),
  idle: z.boolean(),
  parent: z.string().optional(),
  team: z.string().optional(),
  pid: z.number().optional(),
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
