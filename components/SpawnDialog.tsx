'use client';
import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { ApiError, apiFetch } from '../lib/client/api';
import { splitArgs } from '../lib/client/args';
import { queryKeys } from '../lib/client/queries';
import { describeNameProblem } from '../lib/protocol/names';
import type { WorkerInfo } from '../lib/protocol/workers';

const PRESETS = ['claude', 'codex', 'gemini', 'cursor', 'opencode', 'demo'] as const;
const CUSTOM = 'custom';

type Field = 'name' | 'cli' | 'args' | 'cwd' | 'task' | 'team' | 'model' | 'form';

/** Which form field a server error is about. */
function fieldOf(err: ApiError): Field {
  switch (err.code) {
    case 'INVALID_NAME':
    case 'NAME_TAKEN':
      return 'name';
    case 'CLI_NOT_FOUND':
      return 'cli';
    case 'BAD_CWD':
      return 'cwd';
  }
  const f = err.field?.split('.')[0];
  if (f === 'name' || f === 'cli' || f === 'args' || f === 'cwd' || f === 'task' || f === 'team' || f === 'model') return f;
  return 'form';
}

function suggestName(cli: string, taken: Set<string>): string {
  const base = (cli.split('/').pop() || 'worker').replace(/[^A-Za-z0-9._-]/g, '') || 'worker';
  const stem = /^[A-Za-z_]/.test(base) ? base : `w${base}`;
  for (let i = 1; ; i++) if (!taken.has(`${stem}-${i}`)) return `${stem}-${i}`;
}

const INPUT =
  'w-full rounded-md border bg-ink-950 px-2.5 py-1.5 text-sm text-ink-100 placeholder:text-ink-500 focus:outline-none';

function FieldRow({ id, label, error, hint, children }: { id: string; label: string; error?: string; hint?: string; children: ReactNode }) {
  return (
    <div className="space-y-1">
      <label htmlFor={id} className="block text-[11px] font-medium uppercase tracking-wider text-ink-400">
        {label}
      </label>
      {children}
      {error ? (
        <p className="text-xs text-dead" role="alert" data-testid={`${id}-error`} id={`${id}-error`}>
          {error}
        </p>
      ) : hint ? (
        <p className="text-[11px] text-ink-500">{hint}</p>
      ) : null}
    </div>
  );
}

/** Dialog to start a worker: preset or custom command, validated name, cwd, task, team, model. */
export function SpawnDialog({ workers, onClose, onSpawned }: { workers: WorkerInfo[]; onClose: () => void; onSpawned: (w: WorkerInfo) => void }) {
  const client = useQueryClient();
  const taken = useMemo(() => new Set(workers.map((w) => w.name)), [workers]);
  const [preset, setPreset] = useState<string>('demo');
  const [command, setCommand] = useState('');
  const [args, setArgs] = useState('');
  const [name, setName] = useState(() => suggestName('demo', taken));
  const [nameEdited, setNameEdited] = useState(false);
  const [cwd, setCwd] = useState('');
  const [task, setTask] = useState('');
  const [team, setTeam] = useState('');
  const [model, setModel] = useState('');
  const [errors, setErrors] = useState<Partial<Record<Field, string>>>({});
  const [busy, setBusy] = useState(false);
  const nameRef = useRef<HTMLInputElement>(null);
  const cli = preset === CUSTOM ? command.trim() : preset;

  useEffect(() => {
    if (!nameEdited) setName(suggestName(cli || 'worker', taken));
  }, [cli, nameEdited, taken]);

  const nameProblem = describeNameProblem(name) ?? (taken.has(name) ? `A worker named "${name}" already exists; pick another name.` : null);
  const nameError = errors.name ?? (name ? nameProblem ?? undefined : undefined);

  async function submit(e: React.FormEvent) {
    e.preventDefault();
    const local: Partial<Record<Field, string>> = {};
    if (nameProblem) local.name = nameProblem;
    if (!cli) local.cli = 'Choose a preset or type the command to run.';
    if (Object.keys(local).length) {
      setErrors(local);
      return;
    }
    setBusy(true);
    setErrors({});
    const body = {
      name,
      cli,
      ...(args.trim() ? { args: splitArgs(args) } : {}),
      ...(cwd.trim() ? { cwd: cwd.trim() } : {}),
      ...(task.trim() ? { task } : {}),
      ...(team.trim() ? { team: team.trim() } : {}),
      ...(model.trim() ? { model: model.trim() } : {}),
    };
    try {
      const info = await apiFetch<WorkerInfo>('/api/workers', { method: 'POST', json: body });
      client.setQueryData<WorkerInfo[]>(queryKeys.workers, (old) => (old?.some((w) => w.name === info.name) ? old : [...(old ?? []), info]));
      onSpawned(info);
    } catch (err) {
      if (err instanceof ApiError) setErrors({ [fieldOf(err)]: err.message });
      else setErrors({ form: (err as Error).message });
    } finally {
      setBusy(false);
    }
  }

  const border = (f: Field, extra?: string) => `${INPUT} ${errors[f] || extra ? 'border-dead/70' : 'border-ink-700 focus:border-accent/60'}`;

  return (
    <div className="fixed inset-0 z-40 flex items-start justify-center bg-black/60 p-4 pt-[8vh] backdrop-blur-sm" onMouseDown={onClose}>
      <form
        onSubmit={submit}
        onMouseDown={(e) => e.stopPropagation()}
        onKeyDown={(e) => e.key === 'Escape' && onClose()}
        className="w-full max-w-lg space-y-4 rounded-xl border border-ink-700 bg-ink-900 p-5 shadow-2xl shadow-black/60"
        data-testid="spawn-dialog"
        aria-label="Spawn a worker"
        noValidate
      >
        <div className="flex items-center justify-between">
          <h2 className="text-base font-semibold text-ink-100">Spawn a worker</h2>
          <button type="button" onClick={onClose} className="text-ink-400 hover:text-ink-100" aria-label="Close">
            ✕
          </button>
        </div>

        <FieldRow id="spawn-cli" label="CLI" error={preset === CUSTOM ? undefined : errors.cli}>
          <div className="flex flex-wrap gap-1.5" role="radiogroup" aria-label="CLI preset">
            {[...PRESETS, CUSTOM].map((p) => (
              <button
                key={p}
                type="button"
                role="radio"
                aria-checked={preset === p}
                onClick={() => {
                  setPreset(p);
                  setErrors((e) => ({ ...e, cli: undefined }));
                }}
                className={`rounded-md border px-2.5 py-1 font-mono text-xs transition ${
                  preset === p ? 'border-accent/60 bg-accent/10 text-accent' : 'border-ink-700 text-ink-300 hover:border-ink-500'
                }`}
                data-testid={`spawn-preset-${p}`}
                id={p === PRESETS[0] ? 'spawn-cli' : undefined}
              >
                {p}
              </button>
            ))}
          </div>
        </FieldRow>

        {preset === CUSTOM && (
          <FieldRow id="spawn-command" label="Command" error={errors.cli} hint="An executable on the server's PATH, or a path to one.">
            <input
              id="spawn-command"
              value={command}
              onChange={(e) => {
                setCommand(e.target.value);
                setErrors((x) => ({ ...x, cli: undefined }));
              }}
              placeholder="bash"
              className={`${border('cli')} font-mono`}
              data-testid="spawn-command"
              autoFocus
            />
          </FieldRow>
        )}

        <FieldRow id="spawn-args" label="Arguments" error={errors.args} hint='Passed as an array, never through a shell. Quote with "…".'>
          <input id="spawn-args" value={args} onChange={(e) => setArgs(e.target.value)} placeholder="--flag value" className={`${border('args')} font-mono`} data-testid="spawn-args" />
        </FieldRow>

        <div className="grid grid-cols-1 gap-4 sm:grid-cols-2">
          <FieldRow id="spawn-name" label="Name" error={nameError}>
            <input
              id="spawn-name"
              ref={nameRef}
              value={name}
              onChange={(e) => {
                setName(e.target.value);
                setNameEdited(true);
                setErrors((x) => ({ ...x, name: undefined }));
              }}
              className={`${border('name', nameError)} font-mono`}
              aria-invalid={nameError ? true : undefined}
              data-testid="spawn-name"
              spellCheck={false}
            />
          </FieldRow>
          <FieldRow id="spawn-cwd" label="Working directory" error={errors.cwd} hint="Relative to the project root.">
            <input
              id="spawn-cwd"
              value={cwd}
              onChange={(e) => {
                setCwd(e.target.value);
                setErrors((x) => ({ ...x, cwd: undefined }));
              }}
              placeholder="."
              className={`${border('cwd')} font-mono`}
              data-testid="spawn-cwd"
              spellCheck={false}
            />
          </FieldRow>
        </div>

        <FieldRow id="spawn-task" label="Task" error={errors.task} hint="Typed into the agent once it is ready.">
          <textarea id="spawn-task" value={task} onChange={(e) => setTask(e.target.value)} rows={3} className={`${border('task')} resize-y`} data-testid="spawn-task" placeholder="Review the open pull request and report to Lead" />
        </FieldRow>

        <div className="grid grid-cols-2 gap-4">
          <FieldRow id="spawn-team" label="Team" error={errors.team}>
            <input id="spawn-team" value={team} onChange={(e) => setTeam(e.target.value)} className={border('team')} data-testid="spawn-team" />
          </FieldRow>
          <FieldRow id="spawn-model" label="Model" error={errors.model}>
            <input id="spawn-model" value={model} onChange={(e) => setModel(e.target.value)} className={border('model')} data-testid="spawn-model" />
          </FieldRow>
        </div>

        {errors.form && (
          <p className="rounded-md border border-dead/40 bg-dead/10 px-3 py-2 text-xs text-dead" role="alert" data-testid="spawn-form-error">
            {errors.form}
          </p>
        )}

        <div className="flex items-center justify-end gap-2 pt-1">
          <button type="button" onClick={onClose} className="rounded-md px-3 py-1.5 text-sm text-ink-300 hover:text-ink-100">
            Cancel
          </button>
          <button
            type="submit"
            disabled={busy}
            className="rounded-md bg-accent px-4 py-1.5 text-sm font-semibold text-ink-950 transition hover:brightness-110 disabled:opacity-50"
            data-testid="spawn-submit"
          >
            {busy ? 'Spawning…' : 'Spawn'}
          </button>
        </div>
      </form>
    </div>
  );
}
