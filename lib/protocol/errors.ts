import { WORKER_ERROR_CODES, type WorkerErrorCode } from './workers';

/**
 * One mapping from a thrown error to what every surface answers: the HTTP body (server/api/errors.ts,
 * which adds the status), a socket.io reply (server/realtime), a daemon *_RESULT
 * (server/daemon/worker-requests.ts) and a CLI line (server/cli/context.ts). A code for programs and
 * a sentence for people; `field`, `files` and `gap` when the error is about a form field, some files
or a range of output.
 */
export interface ErrorReply {
  code: string;
  message: string;
  field?: string;
  files?: string[];
  /** OUTPUT_GAP: the bytes that are gone, from `from` up to `to` (exclusive). */
  gap?: { from: number; to: number };
}

/** The router's refusals (server/router/types.ts RouterError). */
export const ROUTER_ERROR_CODES = ['NOT_FOUND', 'BAD_REQUEST', 'RATE_LIMITED', 'NAME_TAKEN_BY_WORKER'] as const;
export type RouterErrorCode = (typeof ROUTER_ERROR_CODES)[number];

/**
 * Errors whose code is an answer that passes through as is: WorkerError (SpawnManager, worktrees,
 * agent profiles) and RouterError. Recognised by name and code, not `instanceof`: Next bundles its own
 * copy of lib/protocol, so a WorkerError thrown by the custom server's SpawnManager is not an
 * instance of the class a route handler imports.
 */
const CODES_BY_ERROR = new Map<string, ReadonlySet<string>>([
  ['WorkerError', new Set<string>(WORKER_ERROR_CODES)],
  ['RouterError', new Set<string>(ROUTER_ERROR_CODES)],
]);

type Coded = { name?: unknown; code?: unknown; message?: unknown; field?: unknown; files?: unknown; gap?: unknown };

/** The reply for a WorkerError or RouterError; undefined for anything else (a bug, an I/O error). */
export function codedReply(err: unknown): ErrorReply | undefined {
  const e = (err ?? {}) as Coded;
  const codes = typeof e.name === 'string' ? CODES_BY_ERROR.get(e.name) : undefined;
  if (!codes || typeof e.code !== 'string' || !codes.has(e.code)) return undefined;
  const reply: ErrorReply = { code: e.code, message: typeof e.message === 'string' ? e.message : String(err) };
  if (typeof e.field === 'string') reply.field = e.field;
  if (Array.isArray(e.files)) reply.files = e.files.map(String);
  const gap = e.gap as { from?: unknown; to?: unknown } | undefined;
  if (gap && typeof gap.from === 'number' && typeof gap.to === 'number') reply.gap = { from: gap.from, to: gap.to };
  return reply;
}

/** What every surface answers for `err`: its own code and sentence when it has one, else INTERNAL. */
export function toErrorReply(err: unknown): ErrorReply {
  return codedReply(err) ?? { code: 'INTERNAL', message: internalMessage(err) };
}

function internalMessage(err: unknown): string {
  const reason = typeof (err as { message?: unknown } | null)?.message === 'string' ? (err as Error).message : String(err);
  return `Internal error: ${reason.replace(/\.$/, '')}. See the agent-relay log (agent-relay up --verbose for more), then retry.`;
}

/** True when `code` is one a worker result (`*_RESULT.code`) may carry. */
export function isWorkerErrorCode(code: string): code is WorkerErrorCode {
  return (WORKER_ERROR_CODES as readonly string[]).includes(code);
}
