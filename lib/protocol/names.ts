/** Agent and worker names: 1-64 chars of [A-Za-z0-9._-], starting with a letter or `_`. */
export const NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9._-]{0,63}$/;

/** Names reserved for in-process components; a socket client may not claim them. */
export const RESERVED_NAMES = new Set(['Dashboard', 'system']);

/** The user name the dashboard sends as. */
export const DASHBOARD_USER = 'Dashboard';
/** The user name the CLI sends as by default. */
export const CLI_SENDER = '__cli_sender__';

/** How a name is shown to people: the CLI's internal sender name reads as "CLI". */
export function displayName(name: string): string {
  return name === CLI_SENDER ? 'CLI' : name;
}

export function isValidName(name: unknown): name is string {
  return typeof name === 'string' && NAME_PATTERN.test(name);
}

/** Names starting `__` are internal helpers (CLI, status probes): hidden from agent lists unless asked. */
export function isInternalName(name: string): boolean {
  return name.startsWith('__');
}

/**
 * What is wrong with a name for a worker (or a wrapped agent): a valid name, not reserved, and not
 * internal. Names starting `__` are the relay's own helper connections (CLI, status, doctor, MCP in
 * terminal mode), hidden from agent lists; a worker named so would be running yet invisible.
 */
export function describeWorkerNameProblem(name: unknown): string | null {
  const problem = describeNameProblem(name);
  if (problem) return problem;
  const n = name as string;
  if (RESERVED_NAMES.has(n)) return `"${n}" is reserved for the relay itself; choose another name.`;
  if (isInternalName(n)) return `"${n}" starts with "__", which is reserved for the relay's own helpers (they are hidden from agent lists); choose a name without the leading "__".`;
  return null;
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
