import { ApiError } from '../lib/protocol/api-error';

/**
 * Same-origin JSON calls to app/api. The auth cookie travels with every request automatically.
 * Errors keep the server's `{error:{code, message, field?}}` so forms can show them beside the field.
 */
export { ApiError };

export async function apiFetch<T>(path: string, init?: RequestInit & { json?: unknown }): Promise<T> {
  const { json, ...rest } = init ?? {};
  const res = await fetch(path, {
    credentials: 'same-origin',
    ...rest,
    headers: {
      accept: 'application/json',
      ...(json !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(rest.headers ?? {}),
    },
    body: json !== undefined ? JSON.stringify(json) : rest.body,
  });
  const text = await res.text();
  let body: unknown = undefined;
  if (text) {
    try {
      body = JSON.parse(text);
    } catch {
      body = text;
    }
  }
  if (!res.ok) {
    const err = (body as { error?: { code?: string; message?: string; field?: string; files?: string[] } } | undefined)?.error;
    throw new ApiError(
      res.status,
      err?.code ?? `HTTP_${res.status}`,
      err?.message ?? (res.status === 401 ? 'Not signed in: open the link with ?token= that `agent-relay up` printed.' : `Request failed with HTTP ${res.status}.`),
      err?.field,
      Array.isArray(err?.files) ? err.files : undefined,
    );
  }
  return body as T;
}
