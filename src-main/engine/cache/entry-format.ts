// On-disk form of one cache entry: a small JSON header and raw float32 blocks, sealed by a sha256
// of everything before it, so a truncated, torn or bit-flipped file is recognised and dropped.
//
//   0      "VTCF"
//   4      u32 LE  format version
//   8      u32 LE  header length H (JSON, UTF-8, space-padded to a multiple of 4 so floats align)
//   12     header JSON: key, feature dims, attention layout, meta
//   12+H   float32 blocks, little-endian (every platform we ship is): features, then each
//          attention layer in header order, each tile in order
//   end-32 sha256 of bytes [0, end-32)
import { createHash } from 'node:crypto';
import { EngineError } from '../errors';
import type { AttentionKind, AttentionScores } from '../pruning/types';

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** What one photo's vision pass leaves for the next question on it. */
export interface CachedVision {
  features: Float32Array;
  featureDims: number[];
  attention?: AttentionScores;
  meta: JsonValue;
}

interface EntryHeader {
  key: string;
  featureDims: number[];
  attention: { layerCount: number; layers: Array<{ kind: AttentionKind; layer: number; tileLengths: number[] }> } | null;
  meta: JsonValue;
}

const MAGIC = 'VTCF';
// 2: attention of several kinds per entry.
const VERSION = 2;
const PREFIX_BYTES = 12;
const CHECKSUM_BYTES = 32;

/** Every captured (kind, layer), in the one order both the header and the float blocks follow. */
function attentionLayers(attention: AttentionScores): Array<{ kind: AttentionKind; layer: number; tiles: Float32Array[] }> {
  return Object.entries(attention.byKind).flatMap(([kind, layers]) =>
    [...layers].map(([layer, tiles]) => ({ kind: kind as AttentionKind, layer, tiles })),
  );
}

function floatBlocks(value: CachedVision): Float32Array[] {
  return [value.features, ...(value.attention ? attentionLayers(value.attention).flatMap((l) => l.tiles) : [])];
}

export function encodeEntry(key: string, value: CachedVision): Buffer {
  const expected = value.featureDims.reduce((a, b) => a * b, 1);
  if (!value.featureDims.every((d) => Number.isInteger(d) && d >= 0) || expected !== value.features.length) {
    throw new EngineError('BAD_ARGUMENT', `feature dims [${value.featureDims.join(', ')}] do not describe ${value.features.length} values`);
  }
  const header: EntryHeader = {
    key,
    featureDims: value.featureDims,
    attention: value.attention
      ? {
          layerCount: value.attention.layerCount,
          layers: attentionLayers(value.attention).map(({ kind, layer, tiles }) => ({
            kind,
            layer,
            tileLengths: tiles.map((t) => t.length),
          })),
        }
      : null,
    meta: value.meta,
  };
  const json = Buffer.from(JSON.stringify(header));
  const headerBytes = Math.ceil(json.length / 4) * 4;
  const blocks = floatBlocks(value);
  const floatBytes = blocks.reduce((n, b) => n + b.byteLength, 0);
  const out = Buffer.alloc(PREFIX_BYTES + headerBytes + floatBytes + CHECKSUM_BYTES, ' ');
  out.write(MAGIC, 0, 'latin1');
  out.writeUInt32LE(VERSION, 4);
  out.writeUInt32LE(headerBytes, 8);
  json.copy(out, PREFIX_BYTES);
  let offset = PREFIX_BYTES + headerBytes;
  for (const block of blocks) {
    out.set(new Uint8Array(block.buffer, block.byteOffset, block.byteLength), offset);
    offset += block.byteLength;
  }
  createHash('sha256').update(out.subarray(0, offset)).digest().copy(out, offset);
  return out;
}

export type DecodeResult = { ok: true; value: CachedVision } | { ok: false; reason: string };

export function decodeEntry(key: string, buf: Buffer): DecodeResult {
  if (buf.length < PREFIX_BYTES + CHECKSUM_BYTES || buf.toString('latin1', 0, 4) !== MAGIC)
    return { ok: false, reason: 'not a cache entry' };
  if (buf.readUInt32LE(4) !== VERSION) return { ok: false, reason: `format version ${buf.readUInt32LE(4)}` };
  const body = buf.length - CHECKSUM_BYTES;
  const digest = createHash('sha256').update(buf.subarray(0, body)).digest();
  if (!digest.equals(buf.subarray(body))) return { ok: false, reason: 'checksum mismatch (truncated or damaged)' };
  const headerBytes = buf.readUInt32LE(8);
  let header: EntryHeader;
  try {
    header = JSON.parse(buf.toString('utf8', PREFIX_BYTES, PREFIX_BYTES + headerBytes)) as EntryHeader;
  } catch {
    return { ok: false, reason: 'unreadable header' };
  }
  if (header.key !== key) return { ok: false, reason: `holds entry ${header.key}` };
  const featureCount = header.featureDims.reduce((a, b) => a * b, 1);
  const lengths = [featureCount, ...(header.attention?.layers.flatMap((l) => l.tileLengths) ?? [])];
  if (PREFIX_BYTES + headerBytes + 4 * lengths.reduce((a, b) => a + b, 0) !== body) return { ok: false, reason: 'length mismatch' };
  // Copies, so each array owns an aligned buffer and the file buffer can be dropped.
  let offset = PREFIX_BYTES + headerBytes;
  const take = (n: number): Float32Array => {
    const arr = new Float32Array(buf.buffer.slice(buf.byteOffset + offset, buf.byteOffset + offset + 4 * n));
    offset += 4 * n;
    return arr;
  };
  const features = take(featureCount);
  let attention: AttentionScores | undefined;
  if (header.attention) {
    attention = { layerCount: header.attention.layerCount, byKind: {} };
    for (const { kind, layer, tileLengths } of header.attention.layers) {
      (attention.byKind[kind] ??= new Map()).set(layer, tileLengths.map(take));
    }
  }
  return { ok: true, value: { features, featureDims: header.featureDims, attention, meta: header.meta } };
}
