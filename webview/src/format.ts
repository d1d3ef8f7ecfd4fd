/** Number and text formatting shared by every view (pure). */

/** 235712 → "235.7k", 1200000 → "1.2M", 950 → "950". */
export function formatParams(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '—';
  const a = Math.abs(n);
  if (a >= 1e9) return `${trim(n / 1e9)}G`;
  if (a >= 1e6) return `${trim(n / 1e6)}M`;
  if (a >= 1e3) return `${trim(n / 1e3)}k`;
  return String(Math.round(n));
}

function trim(v: number): string {
  return (Math.round(v * 10) / 10).toFixed(1).replace(/\.0$/, '');
}

/** A signed parameter delta: "+690.9k", "−3.3k", "0". */
export function formatDeltaParams(d: number): string {
  if (d === 0) return '0';
  return (d > 0 ? '+' : '−') + formatParams(Math.abs(d));
}

/**
 * The builder's parameter line: "Params 63.8k (+1.2k)" against the parent, or "Params —"
 * when the edited model is invalid (a count up to the first error would mislead).
 */
export function formatParamsAgainst(params: number | null, parent: number): string {
  if (params === null) return 'Params —';
  return `Params ${formatParams(params)} (${formatDeltaParams(params - parent)})`;
}

/** Accuracy fraction → "0.57" (two decimals like the original), null → "—". */
export function formatAcc(a: number | null | undefined): string {
  if (a === null || a === undefined || !Number.isFinite(a)) return '—';
  return a.toFixed(2);
}

/** Accuracy fraction → "57.3%". */
export function formatPercent(a: number | null | undefined, digits = 1): string {
  if (a === null || a === undefined || !Number.isFinite(a)) return '—';
  return `${(a * 100).toFixed(digits)}%`;
}

/** Signed accuracy delta in percentage points: "+2.1 pp", "−28.0 pp". */
export function formatDeltaAcc(d: number | null): string {
  if (d === null || !Number.isFinite(d)) return '—';
  const pp = d * 100;
  if (Math.abs(pp) < 0.05) return '0.0 pp';
  return `${pp > 0 ? '+' : '−'}${Math.abs(pp).toFixed(1)} pp`;
}

/** Seconds → "31s", "4m", "1h 05m". */
export function formatDuration(s: number | null | undefined): string {
  if (s === null || s === undefined || !Number.isFinite(s) || s < 0) return '—';
  if (s < 60) return `${Math.max(1, Math.round(s))}s`;
  if (s < 3600) return `${Math.round(s / 60)}m`;
  const h = Math.floor(s / 3600);
  const m = Math.round((s - h * 3600) / 60);
  return `${h}h ${String(m).padStart(2, '0')}m`;
}

/** A tensor shape [16, 26, 26] → "16×26×26". */
export function formatShape(dims: readonly number[] | null | undefined): string {
  return dims && dims.length ? dims.join('×') : '—';
}
