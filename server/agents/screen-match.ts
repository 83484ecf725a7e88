import type { ScreenText } from './types';

/** Small helpers profiles use to read a rendered screen. */

/** The whole visible screen as one string (rows joined by newlines). */
export const screenString = (screen: ScreenText): string => screen.lines.join('\n');

/** True when every fragment appears somewhere on the screen. */
export const showsAll = (screen: ScreenText, ...fragments: Array<string | RegExp>): boolean => {
  const text = screenString(screen);
  return fragments.every((f) => (typeof f === 'string' ? text.includes(f) : f.test(text)));
};

/** The row the cursor is on. */
export const cursorLine = (screen: ScreenText): string => screen.lines[screen.cursor.y] ?? '';

/** Index of the last row matching `re`, or -1. */
export const lastIndexMatching = (screen: ScreenText, re: RegExp): number => {
  for (let i = screen.lines.length - 1; i >= 0; i--) if (re.test(screen.lines[i])) return i;
  return -1;
};
