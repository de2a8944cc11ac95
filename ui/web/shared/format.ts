/** Formatting for durations and clock times (local time zone of the browser). */

/** 75_000 → "1:15"; 3_900_000 → "1:05:00". Negative values clamp to 0. */
export function formatDuration(durationMs: number): string {
  const totalS = Math.max(0, Math.floor(durationMs / 1000));
  const h = Math.floor(totalS / 3600);
  const m = Math.floor((totalS % 3600) / 60);
  const s = totalS % 60;
  const ss = String(s).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** Whole minutes, for predictions (the unit is shown beside it): 720_000 → "12"; under a minute → "< 1". */
export function formatMinutes(durationMs: number): string {
  const min = Math.max(0, Math.round(durationMs / 60000));
  return min < 1 ? '< 1' : String(min);
}

export function formatClock(atMs: number, seconds = false): string {
  return new Date(atMs).toLocaleTimeString([], {
    hour: '2-digit',
    minute: '2-digit',
    ...(seconds ? { second: '2-digit' } : {}),
    hourCycle: 'h23',
  });
}

export function formatDateTime(atMs: number): string {
  const d = new Date(atMs);
  return `${d.toLocaleDateString([], { year: 'numeric', month: 'short', day: 'numeric' })} ${formatClock(atMs)}`;
}

/** Picks black or white text for a background colour (WCAG relative luminance). */
export function textColorOn(hex: string): '#000' | '#fff' {
  const m = /^#?([0-9a-f]{6})$/i.exec(hex.trim());
  if (!m) return '#fff';
  const n = Number.parseInt(m[1]!, 16);
  const lin = (c: number) => {
    const v = c / 255;
    return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
  };
  const lum = 0.2126 * lin((n >> 16) & 255) + 0.7152 * lin((n >> 8) & 255) + 0.0722 * lin(n & 255);
  return lum > 0.179 ? '#000' : '#fff';
}

const FALLBACK_COLORS = [
  '#3fa7d6',
  '#f4a259',
  '#59cd90',
  '#ee6352',
  '#b388eb',
  '#fac05e',
  '#8e9aaf',
  '#4ecdc4',
];

/**
 * Name and colour for a phase the loaded model does not describe (a case recorded under an
 * older model, or no model loaded): "clipping_cutting" → "Clipping cutting", a stable colour.
 */
export function fallbackPhase(id: string): { id: string; displayName: string; color: string } {
  let h = 0;
  for (const ch of id) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  const words = id.replace(/[_-]+/g, ' ').trim();
  return {
    id,
    displayName: words.charAt(0).toUpperCase() + words.slice(1),
    color: FALLBACK_COLORS[h % FALLBACK_COLORS.length]!,
  };
}
