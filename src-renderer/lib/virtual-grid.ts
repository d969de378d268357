// Window math for the virtualised photo grid: only the rows near the viewport are rendered, so
// 10,000 photos cost the same DOM as a few dozen. Pure so it is tested without a DOM.

export interface GridLayoutInput {
  itemCount: number;
  /** Inner width of the scrolling container in px. */
  viewportWidth: number;
  viewportHeight: number;
  scrollTop: number;
  /** Smallest tile edge in px; tiles grow to fill the row exactly. */
  minTileSize: number;
  gap: number;
  /** Extra rows rendered above and below the viewport so fast scrolling does not show blanks. */
  overscanRows: number;
}

export interface GridWindow {
  columns: number;
  tileSize: number;
  rowHeight: number;
  totalRows: number;
  totalHeight: number;
  /** First item index to render (inclusive) and the end index (exclusive). */
  start: number;
  end: number;
  /** Vertical offset of the first rendered row. */
  offsetY: number;
}

export function gridWindow(input: GridLayoutInput): GridWindow {
  const { itemCount, viewportWidth, viewportHeight, minTileSize, gap, overscanRows } = input;
  if (!(minTileSize > 0)) throw new RangeError(`minTileSize must be positive, got ${minTileSize}`);
  if (gap < 0) throw new RangeError(`gap must not be negative, got ${gap}`);
  const width = Math.max(0, viewportWidth);
  const columns = Math.max(1, Math.floor((width + gap) / (minTileSize + gap)));
  const tileSize = Math.max(minTileSize, (width - gap * (columns - 1)) / columns);
  const rowHeight = tileSize + gap;
  const totalRows = Math.ceil(Math.max(0, itemCount) / columns);
  const totalHeight = totalRows === 0 ? 0 : totalRows * rowHeight - gap;

  // A stale scrollTop (after the list shrank) must not yield a window past the end.
  const maxScroll = Math.max(0, totalHeight - viewportHeight);
  const scrollTop = Math.min(Math.max(0, input.scrollTop), maxScroll);
  const firstVisibleRow = Math.floor(scrollTop / rowHeight);
  const lastVisibleRow = Math.ceil((scrollTop + Math.max(0, viewportHeight)) / rowHeight);
  const firstRow = Math.max(0, firstVisibleRow - overscanRows);
  const endRow = Math.min(totalRows, lastVisibleRow + overscanRows);

  return {
    columns,
    tileSize,
    rowHeight,
    totalRows,
    totalHeight,
    start: Math.min(itemCount, firstRow * columns),
    end: Math.min(itemCount, endRow * columns),
    offsetY: firstRow * rowHeight,
  };
}
