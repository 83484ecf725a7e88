/** Command line of `npm run bench`: `--quick`, `--only a,b`, `--out FILE`. Pure, so it is unit-tested. */

export const SECTIONS = ['stream', 'slow_viewer', 'echo', 'route', 'spawn', 'worktree', 'auth', 'scale', 'cli', 'mcp', 'browser', 'browser_echo', 'cluster'] as const;
export type Section = (typeof SECTIONS)[number];

export interface BenchArgs {
  quick: boolean;
  only: Section[];
  out: string;
  /** Keep the temp project (logs, database) for inspection instead of deleting it. */
  keep: boolean;
  help: boolean;
}

export class UsageError extends Error {}

export const USAGE = `Usage: npm run bench -- [--quick] [--only ${SECTIONS.join(',')}] [--out FILE] [--keep]
  --quick   smaller sizes (under 60 s)
  --only    comma-separated sections to run (default: all)
  --out     where to write the JSON (default: bench-results.json)
  --keep    keep the temp project directory (server log, database) and print its path`;

export function parseArgs(argv: string[]): BenchArgs {
  const args: BenchArgs = { quick: false, only: [...SECTIONS], out: 'bench-results.json', keep: false, help: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined || v === '') throw new UsageError(`${flag} needs a value.\n${USAGE}`);
      return v;
    };
    switch (flag) {
      case '--quick':
        args.quick = true;
        break;
      case '--keep':
        args.keep = true;
        break;
      case '--help':
      case '-h':
        args.help = true;
        break;
      case '--out':
        args.out = value();
        break;
      case '--only': {
        const names = value().split(',').map((s) => s.trim()).filter(Boolean);
        const unknown = names.filter((n) => !(SECTIONS as readonly string[]).includes(n));
        if (unknown.length) throw new UsageError(`Unknown section ${unknown.join(', ')}; choose from ${SECTIONS.join(', ')}.`);
        // Keep the canonical order whatever order they were asked in.
        args.only = SECTIONS.filter((s) => names.includes(s));
        break;
      }
      default:
        throw new UsageError(`Unknown option ${arg}.\n${USAGE}`);
    }
  }
  return args;
}
