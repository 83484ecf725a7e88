import { describe, expect, it } from 'vitest';
import { parseArgs, SECTIONS, UsageError } from './args';
import { median, percentile, round } from './stats';

describe('bench arguments', () => {
  it('runs every section into bench-results.json by default', () => {
    expect(parseArgs([])).toEqual({ quick: false, only: [...SECTIONS], out: 'bench-results.json', keep: false, help: false });
  });

  it('accepts --quick, --out FILE and --out=FILE', () => {
    expect(parseArgs(['--quick', '--out', 'x.json'])).toMatchObject({ quick: true, out: 'x.json' });
    expect(parseArgs(['--out=y.json']).out).toBe('y.json');
  });

  it('keeps --only sections in canonical order', () => {
    expect(parseArgs(['--only', 'route,stream']).only).toEqual(['stream', 'route']);
    expect(parseArgs(['--only=echo']).only).toEqual(['echo']);
  });

  it('rejects unknown sections and options with a usage error', () => {
    expect(() => parseArgs(['--only', 'strem'])).toThrow(UsageError);
    expect(() => parseArgs(['--fast'])).toThrow(/Unknown option --fast/);
    expect(() => parseArgs(['--out'])).toThrow(/needs a value/);
  });
});

describe('bench statistics', () => {
  it('takes nearest-rank percentiles of unsorted samples', () => {
    const samples = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect(percentile(samples, 50)).toBe(50);
    expect(percentile(samples, 99)).toBe(99);
    expect(percentile(samples, 100)).toBe(100);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 50)).toBeNaN();
  });

  it('takes the median of odd and even sample counts', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });

  it('rounds figures for the report', () => {
    expect(round(0.123456)).toBe(0.123);
    expect(round(3.14159)).toBe(3.14);
    expect(round(123.456)).toBe(123.5);
  });
});
