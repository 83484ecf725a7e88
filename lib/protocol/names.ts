/** Agent and worker names: 1-64 chars of [A-Za-z0-9._-], starting with a letter or `_`. */
export const NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9._-]{0,63}$/;

/** Names reserved for in-process components; a socket client may not claim them. */
export const RESERVED_NAMES = new Set(['Dashboard', 'system']);

/** The user name the dashboard sends as. */
export const DASHBOARD_USER = 'Dashboard';
/** The user name the CLI sends as by default. */
export const CLI_SENDER = '__cli_sender__';

export function isValidName(name: unknown): name is string {
  return typeof name === 'string' && NAME_PATTERN.test(name);
}

/** Names starting `__` are internal helpers (CLI, status probes): hidden from agent lists unless asked. */
export function isInternalName(name: string): boolean {
  return name.startsWith('__');
}

/** A sentence saying what is wrong with a name and what a valid one looks like, or null when it is valid. */
export function describeNameProblem(name: unknown): string | null {
  if (typeof name !== 'string' || name.length === 0) return 'A name is required.';
  if (name.length > 64) return `The name is ${name.length} characters long; use at most 64.`;
  if (!NAME_PATTERN.test(name)) {
    return `"${name}" is not a valid name: use letters, digits, ".", "_" or "-", starting with a letter or "_".`;
  }
  return null;
}
