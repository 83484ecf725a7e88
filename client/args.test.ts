import { describe, expect, it } from 'vitest';
import { splitArgs } from './args';

describe('splitArgs (spawn dialog arguments)', () => {
  it('splits on whitespace and keeps quoted words together', () => {
    expect(splitArgs(`--model  opus -p "fix the bug" 'single quoted' "say \\"hi\\""`)).toEqual([
      '--model', 'opus', '-p', 'fix the bug', 'single quoted', 'say "hi"',
    ]);
  });
  it('gives nothing for a blank line and never invokes shell syntax', () => {
    expect(splitArgs('   ')).toEqual([]);
    expect(splitArgs('$(rm -rf /) ; echo')).toEqual(['$(rm', '-rf', '/)', ';', 'echo']);
  });
});
