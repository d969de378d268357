// The one way to hash a file: sha256, streamed in 1 MiB chunks, since model files are hundreds of MB. Used by
// downloads (checking a file against its manifest, resuming a partial), the photo cache's key and the graph
// surgery's source hash.
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { EngineError } from '../errors';

/** Feeds the whole of `path` into `hash`; a download resumes by hashing its kept prefix this way first. */
export async function hashFileInto(hash: Hash, path: string): Promise<void> {
  try {
    for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EISDIR') throw new EngineError('FILE_NOT_FOUND', `cannot read ${path}: no such file`);
    throw e;
  }
}

/** The file's sha256, hex. */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  await hashFileInto(hash, path);
  return hash.digest('hex');
}
