import { describe, expect, it } from 'vitest';
import { splitOperands } from './spawn';

describe('spawn operands', () => {
  it('passes everything after -- to the CLI and keeps the task before it', () => {
    expect(splitOperands(['node', 'bin', 'spawn', 'w1', 'bash', 'do it', '--', '--norc', '-i'], ['w1', 'bash', 'do it', '--norc', '-i'])).toEqual({
      task: 'do it',
      passthrough: ['--norc', '-i'],
    });
  });

  it('does not take the first argument after -- as the task', () => {
    expect(splitOperands(['node', 'bin', 'spawn', 'w1', 'bash', '--', '--norc'], ['w1', 'bash', '--norc'])).toEqual({ task: undefined, passthrough: ['--norc'] });
  });

  it('refuses extra operands without -- as a usage error', () => {
    expect(() => splitOperands(['node', 'bin', 'spawn', 'w1', 'bash', 'a', 'b'], ['w1', 'bash', 'a', 'b'])).toThrow(expect.objectContaining({ exitCode: 2 }));
  });
});
