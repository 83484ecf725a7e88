'use client';

import type { Terminal } from '@xterm/xterm';

/**
 * Which xterm.js renderer a terminal uses. WebGL (`@xterm/addon-webgl`) draws from a glyph texture on
 * the GPU and is the fastest where the GPU does the work; where WebGL is emulated on the CPU
 * (SwiftShader, llvmpipe: headless Chromium, `--disable-gpu`, VMs without a GPU) it is the slowest
 * (1.3 MB/s of output in headless Chromium against ~8 with the DOM renderer, issue 14), so there the
 * DOM renderer stays.
 * The choice and its reason are shown in each pane's header (docs/dashboard.md).
 *
 * A person (or a test) may override the detection with localStorage `agent-relay.renderer` set to
 * `webgl` or `dom`.
 */

export type RendererKind = 'webgl' | 'dom';
export interface RendererChoice {
  kind: RendererKind;
  /** Why, in a few words a person can read ("WebGL is software-only here (SwiftShader)"). */
  reason: string;
}

export const RENDERER_OVERRIDE_KEY = 'agent-relay.renderer';
/** The renderer is chosen at the latest this long after the terminal opened, drawn or not. */
const CHOICE_LATEST_MS = 1_000;

/** Renderer strings of WebGL implementations that run on the CPU. */
const SOFTWARE_RENDERERS = /swiftshader|llvmpipe|softpipe|software|microsoft basic render|mesa offscreen/i;

/** Whether a WebGL renderer string (UNMASKED_RENDERER_WEBGL) names a CPU implementation. */
export function isSoftwareRenderer(renderer: string): boolean {
  return SOFTWARE_RENDERERS.test(renderer);
}

/** Short name of a GPU from its renderer string, e.g. "ANGLE (Intel, Mesa Intel(R) UHD 620, OpenGL 4.6)". */
function shortName(renderer: string): string {
  return renderer.length > 60 ? `${renderer.slice(0, 57)}…` : renderer;
}

let detected: RendererChoice | undefined;

/** Detects once per page: a WebGL2 context that the browser does not flag as slow, on a GPU. */
function detect(): RendererChoice {
  let canvas: HTMLCanvasElement | null = document.createElement('canvas');
  try {
    // failIfMajorPerformanceCaveat: no context at all when WebGL would be emulated in software.
    const gl = canvas.getContext('webgl2', { failIfMajorPerformanceCaveat: true });
    if (!gl) {
      const soft = canvas.getContext('webgl2');
      return { kind: 'dom', reason: soft ? 'WebGL is software-only here' : 'no WebGL2 in this browser' };
    }
    const info = gl.getExtension('WEBGL_debug_renderer_info');
    const renderer = info ? String(gl.getParameter(info.UNMASKED_RENDERER_WEBGL)) : '';
    gl.getExtension('WEBGL_lose_context')?.loseContext();
    if (renderer && isSoftwareRenderer(renderer)) return { kind: 'dom', reason: `WebGL is software-only here (${shortName(renderer)})` };
    return { kind: 'webgl', reason: renderer ? `GPU: ${shortName(renderer)}` : 'hardware-accelerated WebGL2' };
  } catch (err) {
    return { kind: 'dom', reason: `WebGL could not be checked (${(err as Error).message})` };
  } finally {
    canvas = null;
  }
}

export function chooseRenderer(): RendererChoice {
  let override: string | null = null;
  try {
    override = window.localStorage.getItem(RENDERER_OVERRIDE_KEY);
  } catch {
    /* storage blocked: no override */
  }
  if (override === 'webgl' || override === 'dom') return { kind: override, reason: `set by localStorage ${RENDERER_OVERRIDE_KEY}` };
  detected ??= detect();
  return detected;
}

/** Human label for the pane header. */
export function rendererLabel(kind: RendererKind): string {
  return kind === 'webgl' ? 'WebGL' : 'DOM';
}

/**
 * Puts `term` on the renderer chooseRenderer() picks, once its first screen is drawn: the check
 * creates a WebGL context, which costs the main thread ~40 ms in headless Chromium (software
 * WebGL), and the DOM renderer xterm opens with draws that screen meanwhile (docs/performance.md,
 * 24). The WebGL addon is imported only when it will be used; a lost WebGL context falls back to
 * the DOM renderer. `report` gets each choice, while `current()` says the terminal is still in use.
 */
export function applyRendererAfterFirstFrame(term: Terminal, current: () => boolean, report: (choice: RendererChoice) => void): void {
  const go = () => {
    first.dispose();
    clearTimeout(latest);
    // After the frame's own work: a task of its own.
    setTimeout(() => {
      if (current()) loadRenderer(term, current, report);
    }, 0);
  };
  const first = term.onRender(go);
  // Nothing drawn (a hidden pane): choose anyway.
  const latest = setTimeout(go, CHOICE_LATEST_MS);
}

function loadRenderer(term: Terminal, current: () => boolean, report: (choice: RendererChoice) => void): void {
  const choice = chooseRenderer();
  if (choice.kind === 'dom') {
    report(choice);
    return;
  }
  const fallBack = (reason: string) => {
    if (current()) report({ kind: 'dom', reason });
  };
  import('@xterm/addon-webgl').then(
    ({ WebglAddon }) => {
      if (!current()) return;
      try {
        const addon = new WebglAddon();
        addon.onContextLoss(() => {
          addon.dispose();
          fallBack('the WebGL context was lost');
        });
        term.loadAddon(addon);
        report(choice);
      } catch (err) {
        fallBack(`WebGL did not start (${(err as Error).message})`);
      }
    },
    (err: unknown) => fallBack(`the WebGL renderer did not load (${(err as Error).message})`),
  );
}
