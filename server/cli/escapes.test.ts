import { describe, expect, it } from 'vitest';
import { decodeEscapes } from './escapes';

describe('decodeEscapes', () => {
  it('turns \\r, \\n, \\t and \\e into Enter, newline, tab and Escape', () => {
    expect(decodeEscapes('ls\\r')).toBe('ls\r');
    expect(decodeEscapes('a\\nb\\tc')).toBe('a\nb\tc');
    expect(decodeEscapes('\\e[A')).toBe('\x1b[A');
  });

  it('turns \\xHH into that byte, so \\x03 is Ctrl-C', () => {
    expect(decodeEscapes('\\x03')).toBe('\x03');
    expect(decodeEscapes('\\x1B\\x5b')).toBe('\x1b[');
  });

  it('keeps a doubled backslash as one backslash and does not decode what follows it', () => {
    expect(decodeEscapes('C:\\\\rust')).toBe('C:\\rust');
  });

  it('leaves unknown escapes and plain text as typed', () => {
    expect(decodeEscapes('\\q \\x4 plain')).toBe('\\q \\x4 plain');
    expect(decodeEscapes('héllo')).toBe('héllo');
  });
});
