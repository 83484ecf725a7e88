/**
 * Decodes the escapes `agent-relay input` accepts, so a shell user can type control keys:
 * `\r` Enter, `\n`, `\t`, `\e` Escape, `\xHH` any byte (e.g. `\x03` Ctrl-C), `\\` a backslash.
 * Anything else after a backslash is kept as typed.
 */
export function decodeEscapes(text: string): string {
  return text.replace(/\\(x[0-9a-fA-F]{2}|[rnte\\])/g, (_, esc: string) => {
    switch (esc[0]) {
      case 'r':
        return '\r';
      case 'n':
        return '\n';
      case 't':
        return '\t';
      case 'e':
        return '\x1b';
      case '\\':
        return '\\';
      default:
        return String.fromCharCode(parseInt(esc.slice(1), 16));
    }
  });
}
