import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  FileByteSource,
  ProtobufWireError,
  WIRE_FIXED32,
  WIRE_LENGTH_DELIMITED,
  WIRE_VARINT,
  encodeVarint,
  lengthDelimitedField,
  readVarint,
  scanFields,
  varintField,
} from './protobuf-wire';

const dir = mkdtempSync(join(tmpdir(), 'surgery-wire-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function sourceOf(bytes: Uint8Array): FileByteSource {
  const path = join(dir, `${Math.random().toString(36).slice(2)}.bin`);
  writeFileSync(path, bytes);
  return new FileByteSource(path);
}

describe('varints', () => {
  it('round-trips values from one byte up to 2^53 - 1', () => {
    const values = [0, 1, 127, 128, 300, 2 ** 31, 2 ** 40 + 12345, Number.MAX_SAFE_INTEGER];
    const src = sourceOf(Buffer.concat(values.map(encodeVarint)));
    let position = 0;
    for (const value of values) {
      const read = readVarint(src, position);
      expect(read.value).toBe(value);
      position = read.next;
    }
    expect(position).toBe(src.size);
    src.close();
  });

  it('encodes 300 as the protobuf spec example does (ac 02)', () => {
    expect(Array.from(encodeVarint(300))).toEqual([0xac, 0x02]);
  });

  it('refuses negative and fractional values', () => {
    expect(() => encodeVarint(-1)).toThrow(RangeError);
    expect(() => encodeVarint(1.5)).toThrow(RangeError);
  });
});

describe('scanFields', () => {
  it('lists fields with the exact span of each tag and value', () => {
    const fixed32 = Uint8Array.of((3 << 3) | WIRE_FIXED32, 1, 2, 3, 4);
    const bytes = Buffer.concat([...varintField(1, 150), ...lengthDelimitedField(2, [Buffer.from('hello')]), fixed32]);
    const src = sourceOf(bytes);
    const fields = scanFields(src, 0, src.size);
    expect(fields).toEqual([
      { field: 1, wireType: WIRE_VARINT, start: 0, valueStart: 1, end: 3 },
      { field: 2, wireType: WIRE_LENGTH_DELIMITED, start: 3, valueStart: 5, end: 10 },
      { field: 3, wireType: WIRE_FIXED32, start: 10, valueStart: 11, end: 15 },
    ]);
    expect(Buffer.from(src.read(5, 5)).toString()).toBe('hello');
    src.close();
  });

  it('skips a large value without reading it and finds the field after it', () => {
    const big = new Uint8Array(300_000).fill(7);
    const src = sourceOf(Buffer.concat([...lengthDelimitedField(9, [big]), ...varintField(14, 1)]));
    const [blob, after] = scanFields(src, 0, src.size);
    expect(blob.end - blob.valueStart).toBe(big.length);
    expect(after).toMatchObject({ field: 14, wireType: WIRE_VARINT });
    expect(readVarint(src, after.valueStart).value).toBe(1);
    src.close();
  });

  it('reports a value that runs past the end of its message', () => {
    const bytes = Buffer.concat(lengthDelimitedField(2, [Buffer.from('hello')]));
    const src = sourceOf(bytes.subarray(0, 5));
    expect(() => scanFields(src, 0, src.size)).toThrow(ProtobufWireError);
    src.close();
  });

  it('reports group wire types, which ONNX never uses', () => {
    const src = sourceOf(Uint8Array.of((1 << 3) | 3));
    expect(() => scanFields(src, 0, src.size)).toThrow(/unsupported wire type 3/);
    src.close();
  });
});

describe('FileByteSource', () => {
  it('returns the right bytes for reads inside, across and beyond its window', () => {
    const bytes = Uint8Array.from({ length: 200_000 }, (_, i) => (i * 31) % 251);
    const src = sourceOf(bytes);
    for (const [position, length] of [
      [0, 10],
      [65_530, 20],
      [100_000, 90_000],
      [199_990, 10],
    ]) {
      expect(Array.from(src.read(position, length))).toEqual(Array.from(bytes.subarray(position, position + length)));
    }
    expect(() => src.read(199_995, 10)).toThrow(ProtobufWireError);
    src.close();
  });
});
