import { NAME_PATTERN } from '../lib/protocol/names';

/**
 * The focused terminal survives a reload: the page keeps its most-recently-focused list in a cookie
 * (names only, this site only), so the server renders the same pane first that the client shows and
 * nothing jumps when the page hydrates. No 'use client': app/page.tsx reads it too.
 */
export const FOCUS_COOKIE = 'agent_relay_focus';
export const FOCUS_REMEMBERED = 12;

/** The names in the cookie's value, invalid ones dropped (a cookie is input like any other). */
export function parseFocus(value: string | undefined): string[] {
  if (!value) return [];
  let decoded: string;
  try {
    decoded = decodeURIComponent(value);
  } catch {
    return [];
  }
  const names = decoded.split(',').filter((n) => NAME_PATTERN.test(n));
  return [...new Set(names)].slice(0, FOCUS_REMEMBERED);
}

/** Remembers the order in the browser (a year; SameSite=Strict; readable by the page, so not HttpOnly). */
export function rememberFocus(recent: readonly string[]): void {
  const value = encodeURIComponent(recent.slice(0, FOCUS_REMEMBERED).join(','));
  document.cookie = `${FOCUS_COOKIE}=${value}; Path=/; Max-Age=31536000; SameSite=Strict`;
}

/** The cookie as the browser holds it now (for a page rendered without server data). */
export function readFocusCookie(): string[] {
  const entry = document.cookie.split('; ').find((c) => c.startsWith(`${FOCUS_COOKIE}=`));
  return parseFocus(entry?.slice(FOCUS_COOKIE.length + 1));
}
