/**
 * Theme colours for the canvases: read from the CSS variables remap.css derives from VS
 * Code's (--vscode-editor-background, --vscode-charts-*, --vscode-focusBorder, …), re-read
 * when VS Code switches theme (body class change). Colour parsing, mixing and the
 * accuracy ramp ("darker = more accurate", i.e. closer to the foreground) are pure.
 */
import type { Category } from './layers';
import { CATEGORIES } from './layers';

export type RGBA = [number, number, number, number];

/** Parse #rgb, #rgba, #rrggbb, #rrggbbaa, rgb(), rgba(); null when unrecognised. */
export function parseColor(text: string): RGBA | null {
  const t = text.trim().toLowerCase();
  let m = /^#([0-9a-f]{3,8})$/.exec(t);
  if (m) {
    const hex = m[1] as string;
    if (hex.length === 3 || hex.length === 4) {
      const v = [...hex].map((c) => parseInt(c + c, 16));
      return [v[0] as number, v[1] as number, v[2] as number, hex.length === 4 ? (v[3] as number) / 255 : 1];
    }
    if (hex.length === 6 || hex.length === 8) {
      const v = (hex.match(/../g) as string[]).map((c) => parseInt(c, 16));
      return [v[0] as number, v[1] as number, v[2] as number, hex.length === 8 ? (v[3] as number) / 255 : 1];
    }
    return null;
  }
  m = /^rgba?\(([^)]+)\)$/.exec(t);
  if (m) {
    const parts = (m[1] as string).split(/[\s,/]+/).filter(Boolean).map(Number);
    if (parts.length < 3 || parts.slice(0, 3).some((v) => !Number.isFinite(v))) return null;
    return [parts[0] as number, parts[1] as number, parts[2] as number, parts[3] ?? 1];
  }
  return null;
}

export function mix(a: RGBA, b: RGBA, t: number): RGBA {
  const u = Math.min(1, Math.max(0, t));
  return [a[0] + (b[0] - a[0]) * u, a[1] + (b[1] - a[1]) * u, a[2] + (b[2] - a[2]) * u, a[3] + (b[3] - a[3]) * u];
}

export function css(c: RGBA, alpha?: number): string {
  const a = alpha ?? c[3];
  return `rgba(${Math.round(c[0])},${Math.round(c[1])},${Math.round(c[2])},${+a.toFixed(3)})`;
}

/** Relative luminance (0 black – 1 white). */
export function luminance(c: RGBA): number {
  const f = (v: number): number => {
    const s = v / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]);
}

/**
 * `n` colours from low to high value: from a faint tint of the foreground over the
 * background (low accuracy) to the foreground itself (high accuracy) — "darker" in light
 * themes, brighter in dark ones, always more contrast for better models.
 */
export function accuracyRamp(bg: RGBA, fg: RGBA, n: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(css(mix(bg, fg, 0.22 + (0.78 * i) / Math.max(1, n - 1))));
  return out;
}

/** Which ramp bucket a value in [lo, hi] falls in. */
export function bucketOf(v: number, lo: number, hi: number, n: number): number {
  if (!(hi > lo)) return n - 1;
  return Math.min(n - 1, Math.max(0, Math.floor(((v - lo) / (hi - lo)) * n)));
}

export const RAMP_SIZE = 16;

export interface Palette {
  bg: string;
  fg: string;
  muted: string;
  grid: string;
  focus: string;
  drawer: string;
  selection: string;
  inspected: string;
  edge: string;
  brushFill: string;
  error: string;
  ramp: string[];
  layers: Record<Category, string>;
  dark: boolean;
  font: string;
}

function read(style: CSSStyleDeclaration, name: string, fallback: string): RGBA {
  return parseColor(style.getPropertyValue(name)) ?? (parseColor(fallback) as RGBA);
}

/** The palette from the current theme's CSS variables (see remap.css). */
export function readPalette(el: Element = document.body): Palette {
  const s = getComputedStyle(el);
  const bg = read(s, '--remap-bg', '#ffffff');
  const fg = read(s, '--remap-fg', '#333333');
  const focus = read(s, '--remap-focus', '#0090f1');
  const layers = {} as Record<Category, string>;
  const fallbacks: Record<Category, string> = {
    conv: '#e06c75', dense: '#61afef', activation: '#e5c07b', dropout: '#98c379', pooling: '#c678dd', batchnorm: '#d19a66', other: '#9da5b4',
  };
  for (const c of CATEGORIES) layers[c] = css(read(s, `--remap-layer-${c}`, fallbacks[c]));
  return {
    bg: css(bg),
    fg: css(fg),
    muted: css(mix(bg, fg, 0.35)),
    grid: css(mix(bg, fg, 0.12)),
    focus: css(focus),
    drawer: css(read(s, '--remap-drawer', '#d19a66')),
    selection: css(focus),
    inspected: css(read(s, '--remap-inspected', '#c678dd')),
    edge: css(mix(bg, fg, 0.25)),
    brushFill: css(focus, 0.12),
    error: css(read(s, '--remap-error', '#f14c4c')),
    ramp: accuracyRamp(bg, fg, RAMP_SIZE),
    layers,
    dark: luminance(bg) < 0.4,
    font: s.fontFamily || 'sans-serif',
  };
}

/** Calls `cb` whenever VS Code switches theme (it rewrites the body class). */
export function onThemeChange(cb: () => void): () => void {
  const obs = new MutationObserver(() => cb());
  obs.observe(document.body, { attributes: true, attributeFilter: ['class', 'data-vscode-theme-kind'] });
  return () => obs.disconnect();
}
