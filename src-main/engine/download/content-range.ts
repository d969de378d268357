/** `Content-Range: bytes <start>-<end>/<total|*>` of a 206 answer; undefined when absent or malformed. */
export function parseContentRange(header: string | null): { start: number; end: number; total?: number } | undefined {
  const m = header?.match(/^bytes (\d+)-(\d+)\/(\d+|\*)$/);
  if (!m) return undefined;
  return { start: Number(m[1]), end: Number(m[2]), total: m[3] === '*' ? undefined : Number(m[3]) };
}
