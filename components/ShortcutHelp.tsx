'use client';

export const SHORTCUTS: [string, string][] = [
  ['n', 'Spawn a worker'],
  ['1 – 9', 'Focus worker 1–9 (Alt+1–9 from inside a terminal)'],
  ['l', 'Cycle the terminal grid: 1, 2, 4, 6'],
  ['/', 'Write a message'],
  ['d', 'Take control of the focused terminal'],
  ['t', 'Focus the terminal'],
  ['Ctrl+Shift+F', 'Search in the focused terminal'],
  ['Esc', 'Close a dialog, leave the composer'],
  ['?', 'This help'],
];

/** The keyboard shortcuts, as an overlay. */
export function ShortcutHelp({ onClose }: { onClose: () => void }) {
  return (
    <div className="fixed inset-0 z-50 flex items-center justify-center bg-black/60 p-4 backdrop-blur-sm" onMouseDown={onClose}>
      <div
        className="w-full max-w-sm rounded-xl border border-ink-700 bg-ink-900 p-5 shadow-2xl"
        onMouseDown={(e) => e.stopPropagation()}
        data-testid="shortcut-help"
        role="dialog"
        aria-label="Keyboard shortcuts"
      >
        <h2 className="mb-3 text-sm font-semibold text-ink-100">Keyboard shortcuts</h2>
        <dl className="space-y-1.5 text-xs">
          {SHORTCUTS.map(([key, what]) => (
            <div key={key} className="flex items-center justify-between gap-4">
              <dt>
                <kbd className="rounded border border-ink-600 bg-ink-850 px-1.5 py-0.5 font-mono text-[11px] text-ink-200">{key}</kbd>
              </dt>
              <dd className="text-right text-ink-300">{what}</dd>
            </div>
          ))}
        </dl>
      </div>
    </div>
  );
}
