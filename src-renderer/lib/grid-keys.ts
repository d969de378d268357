// Arrow keys in the photo grid: which tile a key moves to, from the focused one. Pure, so the grid component only
// scrolls and focuses.

/** The index the key moves to, or null for a key the grid does not handle. Moves stop at the edges. */
export function gridStep(index: number, key: string, columns: number, count: number): number | null {
  const step: Record<string, number> = { ArrowLeft: -1, ArrowRight: 1, ArrowUp: -columns, ArrowDown: columns };
  if (key === 'Home') return 0;
  if (key === 'End') return count - 1;
  if (!(key in step) || count === 0) return null;
  const next = index + step[key];
  return next >= 0 && next < count ? next : index;
}
