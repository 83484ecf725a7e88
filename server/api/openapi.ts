import { z } from 'zod';
import * as S from './schemas';

/**
 * The OpenAPI 3.1 document for /api/openapi.json, generated from server/api/schemas.ts with zod 4's
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
  SpawnResolution: schema(S.SpawnResolutionSchema, 'output'),
  WorkerInfo: schema(S.WorkerListResponseSchema.shape.workers.element, 'output'),
  WorkerList: schema(S.WorkerListResponseSchema, 'output'),
  ReleaseOutcome: schema(S.ReleaseResponseSchema, 'output'),
  InputBody: schema(S.InputBodySchema, 'input'),
  ResizeBody: schema(S.ResizeBodySchema, 'input'),
  InjectBody: schema(S.InjectBodySchema, 'input'),
  InjectResult: schema(S.InjectResponseSchema, 'output'),
  Ok: schema(S.OkResponseSchema, 'output'),
  AgentList: schema(S.AgentListResponseSchema, 'output'),
  MessageList: schema(S.MessageListResponseSchema, 'output'),
  SendMessageBody: schema(S.SendMessageBodySchema, 'input'),
  SendMessageResult: schema(S.SendMessageResponseSchema, 'output'),
  Status: schema(S.StatusSchema, 'output'),
  Changes: schema(S.ChangesResponseSchema, 'output'),
  CommitBody: schema(S.CommitBodySchema, 'input'),
  CommitResult: schema(S.CommitResponseSchema, 'output'),
  MergeBody: schema(S.MergeBodySchema, 'input'),
  MergeResult: schema(S.MergeResponseSchema, 'output'),
  WorktreeList: schema(S.WorktreeListResponseSchema, 'output'),
  DiscardResult: schema(S.DiscardResponseSchema, 'output'),
};

const ref = (name: keyof typeof components) => ({ $ref: `#/components/schemas/${name}` });
const json = (name: keyof typeof components, description: string) => ({ description, content: { 'application/json': { schema: ref(name) } } });
const body = (name: keyof typeof components) => ({ required: true, content: { 'application/json': { schema: ref(name) } } });

function errors(...statuses: number[]): Json {
  const why: Record<number, string> = {
    400: 'Bad input (invalid JSON, field or name)', 401: 'No or wrong token', 403: 'Policy denied or bad Origin',
    404: 'Unknown worker or recipient', 409: 'Name taken or worker not running', 413: 'Body or input too large',
    422: 'Bad cwd or executable not found; ROOT_NOT_ALLOWED (the agent CLI refuses root this way); not a git repository, unknown base, git missing', 429: 'Worker limit reached', 503: 'Runtime not available',
    502: 'EXITED_AT_START: the agent CLI exited right after it started (its last output is in the message)',
    500: 'git failed (its message is included)',
    410: 'OUTPUT_GAP: those bytes are missing from the log (the disk was full); `error.gap` gives the range, read on from `gap.to`',
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
        post: {
          summary: 'Spawn a worker',
          description: 'An agent CLI (a preset, or an executable named like one) is watched for its first seconds: one that exits at once is 502 EXITED_AT_START with its last output, never a 201. With `worktree` (true or {base, branch, allowDirty}) the worker runs in a new git worktree on its own branch (docs/worktrees.md). Worktree refusals: 422 NOT_A_REPOSITORY, UNKNOWN_BASE, GIT_MISSING; 409 DIRTY_BASE (error.files lists the uncommitted files; confirm with allowDirty), BRANCH_TAKEN.',
          requestBody: body('SpawnRequest'),
          responses: { 201: json('WorkerInfo', 'Spawned'), ...errors(400, 403, 409, 413, 422, 429, 502) },
        },
      },
      '/api/spawn/resolve': {
        post: {
          summary: 'What a spawn would run, without spawning',
          description:
            'The same checks and resolution as POST /api/workers (so the command line shown is the one that runs), except the name and the worker limit. ' +
            'Errors are those the spawn would give: 422 CLI_NOT_FOUND, BAD_CWD, ROOT_NOT_ALLOWED (an agent CLI that refuses to run as root this way), 403 POLICY_DENIED.',
          requestBody: body('SpawnRequest'),
          responses: { 200: json('SpawnResolution', 'The resolved command'), ...errors(400, 403, 413, 422) },
        },
      },
      '/api/workers/{name}': {
        parameters: [nameParam],
        get: { summary: 'One worker', responses: { 200: json('WorkerInfo', 'Worker'), ...errors(400, 404) } },
        delete: {
          summary: 'Release a worker',
          description: 'remove=1 also forgets it. A worker in a worktree keeps worktree and branch on release; on remove they go only when the work is merged, else 409 UNMERGED_WORK (error.files), unless discard=1 (delete them) or keep=1 (keep them).',
          parameters: queryParams(S.ReleaseQuerySchema),
          responses: { 200: json('ReleaseOutcome', 'How it ended'), ...errors(400, 404, 409) },
        },
      },
      '/api/workers/{name}/changes': {
        parameters: [nameParam],
        get: {
          summary: "The worker's changes against its base (committed, uncommitted and untracked)",
          parameters: queryParams(S.ChangesQuerySchema),
          responses: { 200: json('Changes', 'Files with status and +/- counts, commits, and the unified diff'), ...errors(400, 404, 500) },
        },
      },
      '/api/workers/{name}/commit': {
        parameters: [nameParam],
        post: { summary: 'Commit everything in the worktree (message defaults to the task)', requestBody: body('CommitBody'), responses: { 201: json('CommitResult', 'Committed'), ...errors(400, 404, 409, 500) } },
      },
      '/api/workers/{name}/merge': {
        parameters: [nameParam],
        post: {
          summary: 'Merge the branch into its base branch',
          description: 'strategy ff (fast-forward only; 409 NOT_FAST_FORWARD otherwise) or merge (a merge commit). A conflict is 409 MERGE_CONFLICT with error.files and changes neither branch. Uncommitted work: 409 UNCOMMITTED_CHANGES unless commit: true.',
          requestBody: body('MergeBody'),
          responses: { 200: json('MergeResult', 'Merged'), ...errors(400, 404, 409, 500) },
        },
      },
      '/api/workers/{name}/patch': {
        parameters: [nameParam],
        get: {
          summary: 'The whole change as a patch (git apply takes it)',
          responses: { 200: { description: 'A unified diff with binary hunks', content: { 'text/x-diff': { schema: { type: 'string' } } } }, ...errors(400, 404, 500) },
        },
      },
      '/api/worktrees': { get: { summary: 'Every worktree the relay made, with or without a worker', responses: { 200: json('WorktreeList', 'Worktrees'), ...errors(503) } } },
      '/api/worktrees/{name}': {
        parameters: [nameParam],
        delete: { summary: 'Discard a worktree whose worker is gone: worktree and branch are deleted', responses: { 200: json('DiscardResult', 'Removed'), ...errors(400, 404, 409, 500) } },
      },
      '/api/workers/{name}/input': {
        parameters: [nameParam],
        post: { summary: "Type into the worker's terminal", requestBody: body('InputBody'), responses: { 200: json('Ok', 'Written'), ...errors(400, 404, 409, 413) } },
      },
      '/api/workers/{name}/inject': {
        parameters: [nameParam],
        post: {
          summary: 'Hold, flush or resume (auto) the messages typed into the worker',
          description: 'hold queues deliveries in order (unacknowledged); flush types what is held now, one at a time when the worker is ready, and keeps holding; auto delivers as soon as it is ready.',
          requestBody: body('InjectBody'),
          responses: { 200: json('InjectResult', 'The injection state after the change'), ...errors(400, 404, 409) },
        },
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
            ...errors(400, 404, 410),
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
