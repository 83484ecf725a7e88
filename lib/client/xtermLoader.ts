'use client';
/**
 * xterm.js touches `window` when imported, so it is loaded lazily from effects, once per page.
 */
export type XtermModules = {
  Terminal: typeof import('@xterm/xterm').Terminal;
  FitAddon: typeof import('@xterm/addon-fit').FitAddon;
  SearchAddon: typeof import('@xterm/addon-search').SearchAddon;
  WebLinksAddon: typeof import('@xterm/addon-web-links').WebLinksAddon;
};

let loading: Promise<XtermModules> | null = null;

export function loadXterm(): Promise<XtermModules> {
  loading ??= Promise.all([
    import('@xterm/xterm'),
    import('@xterm/addon-fit'),
    import('@xterm/addon-search'),
    import('@xterm/addon-web-links'),
  ]).then(([xterm, fit, search, links]) => ({
    Terminal: xterm.Terminal,
    FitAddon: fit.FitAddon,
    SearchAddon: search.SearchAddon,
    WebLinksAddon: links.WebLinksAddon,
  }));
  return loading;
}

/** Terminal colours matching app/globals.css. */
export const TERMINAL_THEME = {
  background: '#0a0d12',
  foreground: '#d6dde8',
  cursor: '#2dd4bf',
  cursorAccent: '#0a0d12',
  selectionBackground: '#2dd4bf44',
  black: '#1e2632',
  red: '#f87171',
  green: '#34d399',
  yellow: '#fbbf24',
  blue: '#60a5fa',
  magenta: '#c084fc',
  cyan: '#2dd4bf',
  white: '#d6dde8',
  brightBlack: '#5d6b80',
  brightRed: '#fca5a5',
  brightGreen: '#6ee7b7',
  brightYellow: '#fde68a',
  brightBlue: '#93c5fd',
  brightMagenta: '#d8b4fe',
  brightCyan: '#5eead4',
  brightWhite: '#f8fafc',
};
