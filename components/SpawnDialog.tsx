'use client';
import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { ApiError, apiFetch } from '../client/api';
import { splitArgs } from '../client/args';
import { queryKeys, useStatus } from '../client/queries';
import { rememberWorktree, rememberedWorktree } from '../client/worktrees';
import { describeWorkerNameProblem } from '../lib/protocol/names';
import type { WorkerInfo } from '../lib/protocol/workers';
import { SpawnPreview, useSpawnPreview } from './SpawnPreview';
import { WorktreeFields, worktreeField, type WorktreeChoice } from './WorktreeFields';

const PRESETS = ['claude', 'codex', 'gemini', 'cursor', 'opencode', 'demo'] as const;
const CUSTOM = 'custom';

type Field = 'name' | 'cli' | 'args' | 'cwd' | 'task' | 'team' | 'model' | 'worktree' | 'node' | 'form';

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
    case 'NO_SUCH_NODE':
    case 'NODE_UNREACHABLE':
      return 'node';
    // Several lines (the agent's last output, the ways out): shown in the form's own box.
    case 'EXITED_AT_START':
    case 'ROOT_NOT_ALLOWED':
      return 'form';
  }
  const f = err.field?.split('.')[0];
  if (f === 'worktree') return 'worktree';
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
  // "Skip permission prompts": the preset's flags (on by default, as before); off is `interactive`.
  const [skipPermissions, setSkipPermissions] = useState(true);
  const [errors, setErrors] = useState<Partial<Record<Field, string>>>({});
  const [busy, setBusy] = useState(false);
  // [worktrees] Off by default; the last choice is remembered per project (docs/worktrees.md).
  const status = useStatus().data;
  const projectRoot = status?.projectRoot;
  // [cluster] The node to run it on (docs/cluster.md); this dashboard's own node by default.
  const cluster = status?.cluster;
  const [node, setNode] = useState<string>('');
  const [worktree, setWorktree] = useState<WorktreeChoice>(() => ({ on: rememberedWorktree(projectRoot), base: '', branch: '', allowDirty: false }));
  const [dirtyFiles, setDirtyFiles] = useState<string[] | undefined>(undefined);
  useEffect(() => {
    if (projectRoot) setWorktree((w) => ({ ...w, on: rememberedWorktree(projectRoot) }));
  }, [projectRoot]);
  const nameRef = useRef<HTMLInputElement>(null);
  const cli = preset === CUSTOM ? command.trim() : preset;

  // The suggested name follows the CLI and the names taken, but never under the user's hands: a value
  // replaced while the field has focus drops the selection made to type over it, and what is typed
  // lands after the new suggestion ("codex-1Cx", in a fresh-clone CI run). It catches up on blur.
  const suggestionFor = (cliName: string) => suggestName(cliName || 'worker', taken);
  const suggest = () => {
    if (!nameEdited && document.activeElement !== nameRef.current) setName(suggestionFor(cli));
  };
  useEffect(suggest, [cli, nameEdited, taken]);

  const requestBody = (): Record<string, unknown> => ({
    name,
    cli,
    ...(args.trim() ? { args: splitArgs(args) } : {}),
    ...(cwd.trim() ? { cwd: cwd.trim() } : {}),
    ...(task.trim() ? { task } : {}),
    ...(team.trim() ? { team: team.trim() } : {}),
    ...(model.trim() ? { model: model.trim() } : {}),
    ...(preset !== CUSTOM && !skipPermissions ? { interactive: true } : {}),
    ...worktreeField(worktree),
    ...(cluster && node && node !== cluster.node ? { node } : {}),
  });
  // The preview needs no task or worktree (they do not change the command) and a valid name.
  const preview = useSpawnPreview(
    cli && !describeWorkerNameProblem(name)
      ? { ...requestBody(), task: undefined, worktree: undefined }
      : undefined,
  );
  const permissionFlags = preview.resolution?.preset === cli ? preview.resolution.permissionFlags : undefined;
  // A failed spawn's message stays until the form changes; then the preview speaks again.
  const formKey = JSON.stringify(requestBody());
  useEffect(() => setErrors((e) => (e.form ? { ...e, form: undefined } : e)), [formKey]);

  const nameProblem = describeWorkerNameProblem(name) ?? (taken.has(name) ? `A worker named "${name}" already exists; pick another name.` : null);
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
    const body = requestBody();
    rememberWorktree(projectRoot, worktree.on);
    try {
      const info = await apiFetch<WorkerInfo>('/api/workers', { method: 'POST', json: body });
      client.setQueryData<WorkerInfo[]>(queryKeys.workers, (old) => (old?.some((w) => w.name === info.name) ? old : [...(old ?? []), info]));
      onSpawned(info);
    } catch (err) {
      if (err instanceof ApiError) {
        setErrors({ [fieldOf(err)]: err.message });
        setDirtyFiles(err.code === 'DIRTY_BASE' ? err.files : undefined);
      } else setErrors({ form: (err as Error).message });
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
        className="max-h-[88dvh] w-full max-w-lg space-y-4 overflow-y-auto rounded-xl border border-ink-700 bg-ink-900 p-5 shadow-2xl shadow-black/60"
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
                  // In the click's own render, not the effect's later one: that one could land after a
                  // quick focus of the name field had selected the old value ("gemini-1Gm", CI).
                  if (!nameEdited) setName(suggestionFor(p === CUSTOM ? command.trim() : p));
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

        {preset !== CUSTOM && (permissionFlags === undefined || permissionFlags.length > 0) && (
          <label className="flex items-start gap-2 text-sm text-ink-200" data-testid="spawn-skip-permissions-row">
            <input
              type="checkbox"
              checked={skipPermissions}
              onChange={(e) => setSkipPermissions(e.target.checked)}
              className="mt-0.5 accent-accent"
              data-testid="spawn-skip-permissions"
            />
            <span>
              Skip permission prompts
              <span className="block text-[11px] text-ink-500">
                {skipPermissions
                  ? `The agent acts without asking${permissionFlags?.length ? ` (${permissionFlags.join(' ')})` : ''}. Off: it asks in its terminal before acting.`
                  : 'The agent asks in its terminal before acting.'}
              </span>
            </span>
          </label>
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
              onBlur={() => setTimeout(suggest, 0)}
              className={`${border('name', nameError)} font-mono`}
              aria-invalid={nameError ? true : undefined}
              data-testid="spawn-name"
              spellCheck={false}
            />
          </FieldRow>
          {cluster && (
            <FieldRow id="spawn-node" label="Node" error={errors.node} hint="The machine it runs on; its policy decides.">
              <select
                id="spawn-node"
                value={node || cluster.node}
                onChange={(e) => {
                  setNode(e.target.value);
                  setErrors((x) => ({ ...x, node: undefined }));
                }}
                className={`${border('node')} font-mono`}
                data-testid="spawn-node"
              >
                {[...cluster.nodes].sort((x, y) => (x.node === cluster.node ? -1 : y.node === cluster.node ? 1 : x.node.localeCompare(y.node))).map((n) => (
                  <option key={n.node} value={n.node} disabled={!n.reachable}>
                    {n.node}
                    {n.node === cluster.node ? ' (this node)' : n.reachable ? '' : ' (unreachable)'}
                  </option>
                ))}
              </select>
            </FieldRow>
          )}
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

        <WorktreeFields
          name={name}
          choice={worktree}
          onChange={(c) => {
            setWorktree(c);
            setErrors((x) => ({ ...x, worktree: undefined }));
          }}
          error={errors.worktree}
          dirtyFiles={dirtyFiles}
        />

        {!errors.form && <SpawnPreview {...preview} />}

        {errors.form && (
          <p className="whitespace-pre-wrap rounded-md border border-dead/40 bg-dead/10 px-3 py-2 text-xs text-dead" role="alert" data-testid="spawn-form-error">
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
