// Protobuf at the wire level: where each field of a message starts and ends, and how to write new
// fields. Graph surgery splices bytes instead of re-encoding decoded messages, so fields this code
// has never heard of survive, and weight bytes are located (by offset) without being read.

import { openSync, readSync, closeSync, fstatSync } from 'node:fs';

export const WIRE_VARINT = 0;
export const WIRE_FIXED64 = 1;
export const WIRE_LENGTH_DELIMITED = 2;
export const WIRE_FIXED32 = 5;

/** One field occurrence: the tag starts at `start`, the value spans [valueStart, end). */
export interface WireField {
  field: number;
  wireType: number;
  start: number;
  valueStart: number;
  end: number;
}

/** Random access to bytes that may be far larger than what is ever read (a model file). */
export interface ByteSource {
  readonly size: number;
  read(position: number, length: number): Uint8Array;
}

export class ProtobufWireError extends Error {
  override name = 'ProtobufWireError';
}

const WINDOW = 64 * 1024;

/** A file read on demand through a small window, so scanning past gigabytes of weights costs little. */
export class FileByteSource implements ByteSource {
  readonly size: number;
  private readonly fd: number;
  private window: Uint8Array = new Uint8Array(0);
  private windowStart = 0;

  constructor(path: string) {
    this.fd = openSync(path, 'r');
    this.size = fstatSync(this.fd).size;
  }

  read(position: number, length: number): Uint8Array {
    if (position < 0 || position + length > this.size) {
      throw new ProtobufWireError(`read of ${length} bytes at ${position} runs past the end (${this.size} bytes)`);
    }
    const inWindow = position >= this.windowStart && position + length <= this.windowStart + this.window.length;
    if (inWindow) return this.window.subarray(position - this.windowStart, position - this.windowStart + length);
    if (length > WINDOW) return this.readExact(position, length);
    this.windowStart = position;
    this.window = this.readExact(position, Math.min(WINDOW, this.size - position));
    return this.window.subarray(0, length);
  }

  close(): void {
    closeSync(this.fd);
  }

  private readExact(position: number, length: number): Uint8Array {
    const bytes = new Uint8Array(length);
    let done = 0;
    while (done < length) {
      const n = readSync(this.fd, bytes, done, length - done, position + done);
      if (n === 0) throw new ProtobufWireError(`file ended at byte ${position + done}`);
      done += n;
    }
    return bytes;
  }
}

/** Reads a varint at `position`; returns its value (exact below 2^53) and the position after it. */
export function readVarint(src: ByteSource, position: number): { value: number; next: number } {
  const bytes = src.read(position, Math.min(10, src.size - position));
  let value = 0;
  let factor = 1;
  for (let i = 0; i < bytes.length; i++) {
    value += (bytes[i] & 0x7f) * factor;
    if ((bytes[i] & 0x80) === 0) return { value, next: position + i + 1 };
    factor *= 128;
  }
  throw new ProtobufWireError(`unterminated varint at byte ${position}`);
}

/** Lists the fields of the message occupying [start, end) in order, without reading their values. */
export function scanFields(src: ByteSource, start: number, end: number): WireField[] {
  const fields: WireField[] = [];
  let position = start;
  while (position < end) {
    const tag = readVarint(src, position);
    const field = Math.floor(tag.value / 8);
    const wireType = tag.value % 8;
    if (field === 0) throw new ProtobufWireError(`field number 0 at byte ${position}`);
    let valueStart = tag.next;
    let valueEnd: number;
    switch (wireType) {
      case WIRE_VARINT:
        valueEnd = readVarint(src, valueStart).next;
        break;
      case WIRE_FIXED64:
        valueEnd = valueStart + 8;
        break;
      case WIRE_LENGTH_DELIMITED: {
        const length = readVarint(src, valueStart);
        valueStart = length.next;
        valueEnd = valueStart + length.value;
        break;
      }
      case WIRE_FIXED32:
        valueEnd = valueStart + 4;
        break;
      default:
        throw new ProtobufWireError(`unsupported wire type ${wireType} (field ${field}) at byte ${position}`);
    }
    if (valueEnd > end) throw new ProtobufWireError(`field ${field} at byte ${position} runs past its message`);
    fields.push({ field, wireType, start: position, valueStart, end: valueEnd });
    position = valueEnd;
  }
  return fields;
}

export function encodeVarint(value: number): Uint8Array {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`cannot encode ${value} as a varint`);
  const bytes: number[] = [];
  let rest = value;
  while (rest >= 128) {
    bytes.push((rest % 128) | 0x80);
    rest = Math.floor(rest / 128);
  }
  bytes.push(rest);
  return Uint8Array.from(bytes);
}

/** A length-delimited field whose payload is the concatenation of `parts`. */
export function lengthDelimitedField(field: number, parts: Uint8Array[]): Uint8Array[] {
  const length = parts.reduce((sum, p) => sum + p.length, 0);
  return [encodeVarint(field * 8 + WIRE_LENGTH_DELIMITED), encodeVarint(length), ...parts];
}

export function varintField(field: number, value: number): Uint8Array[] {
  return [encodeVarint(field * 8 + WIRE_VARINT), encodeVarint(value)];
}
