import { z } from 'zod';
import * as S from './schemas';

/**
 * The OpenAPI 3.1 document for /api/openapi.json, generated from lib/api/schemas.ts with zod 4's
 * z.toJSONSchema (OpenAPI 3.1 uses JSON Schema 2020-12 as is), so the document cannot drift from
 * what the routes validate.
 */

type Json = Record<string, unknown>;

function schema(s: z.ZodType, io: 'input' | 'output'): Json {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(s, { io, target: 'draft-2020-12', unrepresentable: 'any' }) as Json;
  return rest;
}

const components: Record<string, Json> = {
  ApiError: schema(S.ApiErrorSchema, 'output'),
  SpawnRequest: schema(S.SpawnBodySchema, 'input'),
  WorkerInfo: schema(S.WorkerListResponseSchema.shape.workers.element, 'output'),
  WorkerList: schema(S.WorkerListResponseSchema, 'output'),
  ReleaseOutcome: schema(S.ReleaseResponseSchema, 'output'),
  InputBody: schema(S.InputBodySchema, 'input'),
  ResizeBody: schema(S.ResizeBodySchema, 'input'),
  Ok: schema(S.OkResponseSchema, 'output'),
  AgentList: schema(S.AgentListResponseSchema, 'output'),
  MessageList: schema(S.MessageListResponseSchema, 'output'),
  SendMessageBody: schema(S.SendMessageBodySchema, 'input'),
  SendMessageResult: schema(S.SendMessageResponseSchema, 'output'),
  Status: schema(S.StatusSchema, 'output'),
};

const ref = (name: keyof typeof components) => ({ $ref: `#/components/schemas/${name}` });
const json = (name: keyof typeof components, description: string) => ({ description, content: { 'application/json': { schema: ref(name) } } });
const body = (name: keyof typeof components) => ({ required: true, content: { 'application/json': { schema: ref(name) } } });

function errors(...statuses: number[]): Json {
  const why: Record<number, string> = {
    400: 'Bad input (invalid JSON, field or name)', 401: 'No or wrong token', 403: 'Policy denied or bad Origin',
    404: 'Unknown worker or recipient', 409: 'Name taken or worker not running', 413: 'Body or input too large',
    422: 'Bad cwd or executable not found', 429: 'Worker limit reached', 503: 'Runtime not available',
  };
  return Object.fromEntries([401, ...statuses].map((s) => [String(s), json('ApiError', why[s] ?? 'Error')]));
}

function queryParams(s: z.ZodObject): Json[] {
  const js = schema(s, 'input') as { properties?: Record<string, Json>; required?: string[] };
  return Object.entries(js.properties ?? {}).map(([name, sch]) => ({ name, in: 'query', required: js.required?.includes(name) ?? false, schema: sch }));
}

const nameParam = { name: 'name', in: 'path', required: true, schema: schema(S.WorkerNameParamSchema.shape.name, 'input') };

export function buildOpenApiDocument(version = '0.0.0'): Json {
  return {
    openapi: '3.1.0',
    info: {
      title: 'agent-relay dashboard API',
      version,
      description: 'Every route needs the dashboard token (cookie set by /?token=…, or Authorization: Bearer <token>). Realtime output is on socket.io at /socket.io (lib/realtime/events.ts).',
    },
    paths: {
      '/api/status': { get: { summary: 'STATUS figures', responses: { 200: json('Status', 'Status'), ...errors(503) } } },
      '/api/workers': {
        get: { summary: 'List workers', responses: { 200: json('WorkerList', 'Workers'), ...errors() } },
        post: { summary: 'Spawn a worker', requestBody: body('SpawnRequest'), responses: { 201: json('WorkerInfo', 'Spawned'), ...errors(400, 403, 409, 413, 422, 429) } },
      },
      '/api/workers/{name}': {
        parameters: [nameParam],
        get: { summary: 'One worker', responses: { 200: json('WorkerInfo', 'Worker'), ...errors(400, 404) } },
        delete: { summary: 'Release a worker', parameters: queryParams(S.ReleaseQuerySchema), responses: { 200: json('ReleaseOutcome', 'How it ended'), ...errors(400, 404) } },
      },
      '/api/workers/{name}/input': {
        parameters: [nameParam],
        post: { summary: "Type into the worker's terminal", requestBody: body('InputBody'), responses: { 200: json('Ok', 'Written'), ...errors(400, 404, 409, 413) } },
      },
      '/api/workers/{name}/resize': {
        parameters: [nameParam],
        post: { summary: 'Resize the terminal', requestBody: body('ResizeBody'), responses: { 200: json('Ok', 'Resized'), ...errors(400, 404, 409) } },
      },
      '/api/workers/{name}/output': {
        parameters: [nameParam],
        get: {
          summary: 'Raw output bytes from an offset',
          parameters: queryParams(S.OutputQuerySchema),
          responses: {
            200: {
              description: 'Bytes from X-Output-Offset; X-Output-End is the total produced so far.',
              headers: {
                'X-Output-Offset': { schema: { type: 'integer' }, description: 'Offset of the first byte in the body' },
                'X-Output-End': { schema: { type: 'integer' }, description: 'Bytes produced so far' },
              },
              content: { 'application/octet-stream': { schema: { type: 'string', contentMediaType: 'application/octet-stream' } } },
            },
            ...errors(400, 404),
          },
        },
      },
      '/api/agents': { get: { summary: 'Known and connected agents with worker status', responses: { 200: json('AgentList', 'Agents'), ...errors() } } },
      '/api/messages': {
        get: { summary: 'Message history, newest first', parameters: queryParams(S.MessagesListQuerySchema), responses: { 200: json('MessageList', 'Messages'), ...errors(400) } },
        post: { summary: 'Send a message as the dashboard user', requestBody: body('SendMessageBody'), responses: { 201: json('SendMessageResult', 'Accepted'), ...errors(400, 404, 413) } },
      },
      '/api/openapi.json': { get: { summary: 'This document', responses: { 200: { description: 'OpenAPI 3.1', content: { 'application/json': {} } } } } },
    },
    components: {
      schemas: components,
      securitySchemes: {
        tokenCookie: { type: 'apiKey', in: 'cookie', name: 'agent_relay_token' },
        bearer: { type: 'http', scheme: 'bearer' },
      },
    },
    security: [{ tokenCookie: [] }, { bearer: [] }],
  };
}
