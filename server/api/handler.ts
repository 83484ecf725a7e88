import type { z } from 'zod';
import { ApiError, errorResponse, validationError } from './errors';
import { getRuntime, type RelayRuntime } from '../runtime';
import { WorkerNameParamSchema } from './schemas';

/** Wrap a route handler body so every thrown error becomes the shared `{error}` answer. */
export async function handle(work: () => Promise<Response> | Response): Promise<Response> {
  try {
    return await work();
  } catch (err) {
    return errorResponse(err);
  }
}

/** Parse a JSON body with `schema`; 400 when it is not JSON or not the right shape, 413 when it is too big. */
export async function readJson<S extends z.ZodType>(request: Request, schema: S, what: string, maxBytes = 1024 * 1024): Promise<z.infer<S>> {
  const declared = Number(request.headers.get('content-length') ?? '0');
  if (declared > maxBytes) throw new ApiError(413, 'TOO_LARGE', `The ${what} is ${declared} bytes; the limit is ${maxBytes}.`);
  const text = await request.text();
  if (Buffer.byteLength(text) > maxBytes) throw new ApiError(413, 'TOO_LARGE', `The ${what} is larger than ${maxBytes} bytes.`);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new ApiError(400, 'BAD_REQUEST', `The ${what} must be a JSON object; send Content-Type: application/json with a valid body.`);
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw validationError(parsed.error, what);
  return parsed.data;
}

/** Parse query parameters (strings) with `schema`; 400 on failure. */
export function readQuery<S extends z.ZodType>(url: string, schema: S, what = 'query'): z.infer<S> {
  const params = Object.fromEntries(new URL(url).searchParams.entries());
  const parsed = schema.safeParse(params);
  if (!parsed.success) throw validationError(parsed.error, what);
  return parsed.data;
}

/** The live runtime, or 503 when the route runs outside `agent-relay up` (e.g. plain `next start`). */
export function liveRuntime(): RelayRuntime {
  try {
    return getRuntime();
  } catch (err) {
    throw new ApiError(503, 'UNAVAILABLE', (err as Error).message);
  }
}

/** The `[name]` segment of a worker route, validated (Next 15+ passes params as a Promise). */
export async function workerNameParam(context: { params: Promise<{ name: string }> }): Promise<string> {
  const { name } = await context.params;
  const parsed = WorkerNameParamSchema.safeParse({ name });
  if (!parsed.success) throw new ApiError(400, 'INVALID_NAME', `"${name}" is not a valid worker name: use 1-64 letters, digits, ".", "_" or "-", starting with a letter or "_".`, 'name');
  return parsed.data.name;
}

export type WorkerRouteContext = { params: Promise<{ name: string }> };

/** The worktree domain of the live runtime, or 503 when this relay has none. */
export function liveWorktrees(): NonNullable<RelayRuntime['worktrees']> {
  const worktrees = liveRuntime().worktrees;
  if (!worktrees) throw new ApiError(503, 'UNAVAILABLE', 'Worktrees are not available in this relay; start it with agent-relay up.');
  return worktrees;
}
