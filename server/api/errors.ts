import type { z } from 'zod';
import { toErrorReply, type RouterErrorCode } from '../../lib/protocol/errors';
import type { WorkerErrorCode } from '../../lib/protocol/workers';
import { ApiError } from '../../lib/protocol/api-error';

/**
 * One mapping from thrown errors to HTTP answers, shared by every route handler: the code and
 * sentence come from toErrorReply (lib/protocol/errors.ts, shared with socket.io, the daemon and the
 * CLI); this file adds the status. Body shape: `{error: {code, message, field?}}` (ApiErrorSchema in
 * server/api/schemas.ts).
 */

export interface ApiErrorBody {
  /** `files`: what a worktree error is about (conflicting files, uncommitted changes). */
  error: { code: string; message: string; field?: string; files?: string[]; gap?: { from: number; to: number } };
}

/**
 * Status for each WorkerError and RouterError code (the two share NOT_FOUND and BAD_REQUEST).
 * LIMIT_REACHED is 429: the request is fine, retry once a worker is released.
 */
export const ERROR_STATUS: Record<WorkerErrorCode | RouterErrorCode, number> = {
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
  NOT_A_REPOSITORY: 422,
  UNKNOWN_BASE: 422,
  DIRTY_BASE: 409,
  BRANCH_TAKEN: 409,
  GIT_MISSING: 422,
  NO_WORKTREE: 404,
  MERGE_CONFLICT: 409,
  NOT_FAST_FORWARD: 409,
  UNCOMMITTED_CHANGES: 409,
  UNMERGED_WORK: 409,
  NOTHING_TO_COMMIT: 409,
  NO_BASE_BRANCH: 409,
  BASE_CHECKOUT_BUSY: 409,
  GIT_FAILED: 500,
  // The request asks for what the agent CLI refuses (fix the request or the environment).
  ROOT_NOT_ALLOWED: 422,
  // The relay is fine; the program it started failed at once (its last output is in the message).
  EXITED_AT_START: 502,
  // Output asked for is gone from the log and memory (the disk was full).
  OUTPUT_GAP: 410,
  // Cluster: the spawn named a node no one knows; the worker's node is not heard from (try again later).
  NO_SUCH_NODE: 404,
  NODE_UNREACHABLE: 503,
  // RouterError only.
  RATE_LIMITED: 429,
  NAME_TAKEN_BY_WORKER: 409,
};

export { ApiError };

export function errorBody(code: string, message: string, field?: string, files?: string[], gap?: { from: number; to: number }): ApiErrorBody {
  return { error: { code, message, ...(field ? { field } : {}), ...(files ? { files } : {}), ...(gap ? { gap } : {}) } };
}

export function jsonError(status: number, code: string, message: string, field?: string): Response {
  return Response.json(errorBody(code, message, field), { status });
}

/** Status and body for anything a handler threw. Unknown errors are 500 INTERNAL with their message. */
export function toApiError(err: unknown): { status: number; body: ApiErrorBody } {
  if (err instanceof ApiError) return { status: err.status, body: errorBody(err.code, err.message, err.field, err.files) };
  const { code, message, field, files, gap } = toErrorReply(err);
  return { status: ERROR_STATUS[code as keyof typeof ERROR_STATUS] ?? 500, body: errorBody(code, message, field, files, gap) };
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
