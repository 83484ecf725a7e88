import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dashboardTokenPath } from '../../lib/paths';

/**
 * The dashboard token: 32 random bytes as hex, kept in `<dataDir>/dashboard-token` (0600; the name is
 * in lib/paths.ts, where the CLI, the wrapper and MCP find it through lib/discovery) so that a restart
 * keeps the URL a person already has open valid.
 */
const TOKEN_PATTERN = /^[0-9a-f]{64}$/;

/** Reads the stored token, or creates one. A file that does not hold a valid token is replaced. */
export function loadOrCreateToken(dataDir: string): string {
  const path = dashboardTokenPath(dataDir);
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

/**
 * Constant-time comparison, so the token cannot be guessed byte by byte from response times. Both
 * sides are compared as SHA-256 digests: always 32 bytes, whatever the candidate holds. Comparing the
 * strings' bytes directly needs equal byte lengths, and a candidate of the right length in characters
 * but not in bytes (64 × "é" from `?token=%C3%A9…`, a cookie, or a latin-1 header) made
 * `timingSafeEqual` throw instead of answering 401 (issue 10, test/faults/malformed-token.test.ts).
 */
export function tokenMatches(expected: string, candidate: string | undefined | null): boolean {
  if (typeof candidate !== 'string') return false;
  return timingSafeEqual(digest(candidate), digest(expected));
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}
