import type { z } from 'zod';
import {
  InboxRequestSchema, ListAgentsRequestSchema, MessagesQueryRequestSchema, QUERY_RESPONSE_TYPES,
  type QueryType,
} from '../../lib/protocol';
import type { DaemonContext } from './context';

/** A request the client got wrong: answered with ERROR BAD_REQUEST (non-fatal) and replyTo. */
export class BadRequest extends Error {}

export function isQueryType(type: string): type is QueryType {
  return Object.prototype.hasOwnProperty.call(QUERY_RESPONSE_TYPES, type);
}

/** "field: problem; field: problem" from a zod error, for an ERROR message people can act on. */
export function describeIssues(error: z.ZodError, what: string): string {
  const parts = error.issues.slice(0, 3).map((i) => `${i.path.length ? i.path.join('.') : 'payload'}: ${i.message}`);
  return `Invalid ${what} payload (${parts.join('; ')}). See docs/protocol.md for its shape.`;
}

function parse<T extends z.ZodType>(schema: T, payload: unknown, what: string): z.infer<T> {
  const result = schema.safeParse(payload ?? {});
  if (!result.success) throw new BadRequest(describeIssues(result.error, what));
  return result.data;
}

/**
 * Answer a query. The response reuses the request's id (the published clients match on it);
 * its type comes from QUERY_RESPONSE_TYPES (MESSAGES_QUERY → MESSAGES_RESPONSE for v1 clients).
 * `asName` is the connection's HELLO name, if any.
 */
export function answerQuery(ctx: DaemonContext, type: QueryType, payload: unknown, asName: string | undefined): { type: string; payload: unknown } {
  const responseType = QUERY_RESPONSE_TYPES[type];
  switch (type) {
    case 'STATUS':
      return { type: responseType, payload: ctx.status() };
    case 'LIST_AGENTS': {
      const req = parse(ListAgentsRequestSchema, payload, 'LIST_AGENTS');
      return { type: responseType, payload: { agents: ctx.router.listAgents(req) } };
    }
    case 'LIST_CONNECTED_AGENTS': {
      const agents = ctx.router.connectedAgentNames().map((name) => {
        const cli = ctx.router.factsOf(name)?.cli;
        return cli === undefined ? { name, idle: false as const } : { name, cli, idle: false as const };
      });
      return { type: responseType, payload: { agents } };
    }
    case 'INBOX': {
      const req = parse(InboxRequestSchema, payload, 'INBOX');
      const agent = req.agent ?? asName;
      if (!agent) throw new BadRequest('INBOX needs payload.agent when the connection has not said HELLO.');
      const messages = ctx.router.inbox(agent, { limit: req.limit, unreadOnly: req.unreadOnly, from: req.from }).map((m) => {
        const item: { id: string; from: string; body: string; thread?: string; timestamp: number } = {
          id: m.id, from: m.from, body: m.body, timestamp: m.timestamp,
        };
        if (m.thread !== undefined) item.thread = m.thread;
        return item;
      });
      return { type: responseType, payload: { messages } };
    }
    case 'MESSAGES_QUERY': {
      const req = parse(MessagesQueryRequestSchema, payload, 'MESSAGES_QUERY');
      return { type: responseType, payload: { messages: ctx.router.queryMessages(req) } };
    }
  }
}
