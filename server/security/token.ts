import { randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The dashboard token: 32 random bytes as hex, kept in `<dataDir>/dashboard-token` (0600) so that a
 * restart keeps the URL a person already has open valid.
 */
export const TOKEN_FILE_NAME = 'dashboard-token';
const TOKEN_PATTERN = /^[0-9a-f]{64}$/;

export function tokenPath(dataDir: string): string {
  return join(dataDir, TOKEN_FILE_NAME);
}

/** Reads the stored token, or creates one. A file that does not hold a valid token is replaced. */
export function loadOrCreateToken(dataDir: string): string {
  const path = tokenPath(dataDir);
  try {
    const existing = readFileSync(path, 'utf8').trim();
    if (TOKEN_PATTERN.test(existing)) {
      // Tighten a token file someone loosened by hand: it is a credential.
      chmodSync(path, 0o600);
      return existing;
    }
  } catch {
    // Missing or unreadable: create a fresh one below.
  }
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const token = randomBytes(32).toString('hex');
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, `${token}\n`, { mode: 0o600 });
  renameSync(temp, path);
  return token;
}

/** Constant-time comparison, so the token cannot be guessed byte by byte from response times. */
export function tokenMatches(expected: string, candidate: string | undefined | null): boolean {
  if (typeof candidate !== 'string' || candidate.length !== expected.length) return false;
  return timingSafeEqual(Buffer.from(candidate), Buffer.from(expected));
}
