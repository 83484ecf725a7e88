'use client';
import { Terminal } from '@xterm/xterm';
import { FitAddon } from '@xterm/addon-fit';
import { SearchAddon } from '@xterm/addon-search';
import { WebLinksAddon } from '@xterm/addon-web-links';

/**
 * xterm.js and its addons are part of the page's first scripts, so the browser downloads them with the
 * rest rather than after the page's code has run and asked for them (the first terminal is on the
 * critical path of the first paint). Importing them does not touch the DOM; creating a Terminal does.
 */
export type XtermModules = {
  Terminal: typeof Terminal;
  FitAddon: typeof FitAddon;
  SearchAddon: typeof SearchAddon;
  WebLinksAddon: typeof WebLinksAddon;
};

const modules: XtermModules = { Terminal, FitAddon, SearchAddon, WebLinksAddon };

export function loadXterm(): Promise<XtermModules> {
  return Promise.resolve(modules);
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
