/**
 * Tells a person's keystrokes from what a terminal emulator answers on its own. A viewer's xterm.js
 * forwards everything it "types" — including replies to the program's queries (cursor position,
 * device attributes, colours), focus changes and mouse reports — through the same input path as
 * keys. Only keys mean a person is typing; the rest must not hold back message injection (a TUI
 * that asks for the cursor position on every redraw would otherwise never get a message).
 */

/* eslint-disable no-control-regex */
const NOT_TYPING = new RegExp(
  [
    '\\x1b\\[\\d+;\\d+R', // cursor position report (CPR)
    '\\x1b\\[[?>=][\\d;]*c', // device attributes (DA1/DA2/DA3)
    '\\x1b\\[\\??\\d+(?:;\\d+)*\\$y', // mode report (DECRPM)
    '\\x1b\\[\\d+n', // device status report
    '\\x1b\\[\\d+(?:;\\d+)*t', // window reports
    '\\x1b\\[[IO]', // focus in / out
    '\\x1b\\[<\\d+;\\d+;\\d+[Mm]', // SGR mouse
    '\\x1b\\[M[\\s\\S]{3}', // X10 mouse
    '\\x1b\\[\\d+;\\d+;\\d+M', // urxvt mouse
    '\\x1b\\][^\\x07\\x1b]*(?:\\x07|\\x1b\\\\)', // OSC replies (colours, clipboard)
    '\\x1bP[\\s\\S]*?\\x1b\\\\', // DCS replies (XTGETTCAP, DECRQSS)
  ].join('|'),
  'g',
);
/* eslint-enable no-control-regex */

/** True when `data` holds anything a person typed (keys, a paste), not only terminal replies. */
export function isKeystrokes(data: string | Buffer): boolean {
  const text = typeof data === 'string' ? data : data.toString('latin1');
  return text.replace(NOT_TYPING, '').length > 0;
}
