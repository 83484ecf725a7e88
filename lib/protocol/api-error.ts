/**
 * An HTTP API error: status, machine code, sentence, and the form field it concerns. Thrown by route
 * handlers and rebuilt by the dashboard from `{error:{code, message, field?}}`. No imports, so the
 * browser bundle can take it without the server's schemas.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
    /** The files the error concerns (worktree merge conflicts, uncommitted changes). */
    readonly files?: string[],
  ) {
    super(message);
    this.name = 'ApiError';
  }
}
