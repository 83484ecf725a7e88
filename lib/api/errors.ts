import type { z } from 'zod';
import { WorkerError, type WorkerErrorCode } from '../protocol/workers';
import { ApiError } from './api-error';

/**
 * One mapping from thrown errors to HTTP answers, shared by every route handler.
 * Body shape: `{error: {code, message, field?}}` (ApiErrorSchema in lib/api/schemas.ts).
 *
 * Duck-typed on `name` + `code`: Next bundles its own copy of lib/protocol, so a WorkerError thrown
 * by the custom server's SpawnManager is not `instanceof` the route's WorkerError class.
 */

export interface ApiErrorBody {
  error: { code: string; message: string; field?: string };
}

/** Status for each SpawnManager code. LIMIT_REACHED is 429: the request is fine, retry once a worker is released. */
export const WORKER_ERROR_STATUS: Record<WorkerErrorCode, number> = {
  INVALID_NAME: 400,
  BAD_REQUEST: 400,
  NAME_TAKEN: 409,
  POLICY_DENIED: 403,
  LIMIT_REACHED: 429,
  CLI_NOT_FOUND: 422,
  BAD_CWD: 422,
  NOT_FOUND: 404,
  NOT_RUNNING: 409,
  INPUT_TOO_LARGE: 413,
  INTERNAL: 500,
};

/** RouterError codes (server/router/types.ts). */
const ROUTER_ERROR_STATUS: Record<string, number> = { NOT_FOUND: 404, BAD_REQUEST: 400, RATE_LIMITED: 429 };

export { ApiError };

export function errorBody(code: string, message: string, field?: string): ApiErrorBody {
  return { error: field ? { code, message, field } : { code, message } };
}

export function jsonError(status: number, code: string, message: string, field?: string): Response {
  return Response.json(errorBody(code, message, field), { status });
}

type Coded = { name?: unknown; code?: unknown; message?: unknown; field?: unknown };

/** Status and body for anything a handler threw. Unknown errors are 500 INTERNAL with their message. */
export function toApiError(err: unknown): { status: number; body: ApiErrorBody } {
  if (err instanceof ApiError) return { status: err.status, body: errorBody(err.code, err.message, err.field) };
  const e = (err ?? {}) as Coded;
  const message = typeof e.message === 'string' ? e.message : String(err);
  const field = typeof e.field === 'string' ? e.field : undefined;
  if ((err instanceof WorkerError || e.name === 'WorkerError') && typeof e.code === 'string' && e.code in WORKER_ERROR_STATUS) {
    return { status: WORKER_ERROR_STATUS[e.code as WorkerErrorCode], body: errorBody(e.code, message, field) };
  }
  if (e.name === 'RouterError' && typeof e.code === 'string' && e.code in ROUTER_ERROR_STATUS) {
    return { status: ROUTER_ERROR_STATUS[e.code], body: errorBody(e.code, message) };
  }
  return { status: 500, body: errorBody('INTERNAL', `Internal error: ${message}`) };
}

export function errorResponse(err: unknown): Response {
  const { status, body } = toApiError(err);
  return Response.json(body, { status });
}

/** A zod failure as a 400 naming the first offending field. */
export function validationError(error: z.ZodError, what: string): ApiError {
  const issue = error.issues[0];
  const field = issue?.path.length ? issue.path.map(String).join('.') : undefined;
  const where = field ? ` (${field})` : '';
  // A bad worker name keeps the SpawnManager's code, whichever layer noticed it first.
  if (field === 'name') return new ApiError(400, 'INVALID_NAME', `Invalid name: ${issue?.message ?? 'malformed'}`, field);
  return new ApiError(400, 'BAD_REQUEST', `Invalid ${what}${where}: ${issue?.message ?? 'malformed'}.`, field);
}
