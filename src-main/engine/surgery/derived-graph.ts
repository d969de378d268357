// Where a graph derived from a model's own ONNX file is cached: named by the source file's content and what was
// derived, so a changed file or another derivation misses. The derived file holds no weights; its references
// resolve against the source's real folder (see createInstrumentedSession).
import { existsSync, realpathSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { sha256File } from '../storage/file-hash';

export interface DerivedGraphLocation {
  /** The source file through any links: onnxruntime checks external data against the weights' real folder. */
  sourcePath: string;
  cachePath: string;
  externalDataDir: string;
  sourceSha256: string;
}

export async function derivedGraphLocation(
  onnxPath: string,
  cacheDir: string,
  tag: string,
  sourceSha256?: string,
): Promise<DerivedGraphLocation> {
  // A model folder made of links (a Hugging Face cache snapshot, a folder linked for testing) is referenced through
  // its targets.
  const sourcePath = existsSync(onnxPath) ? realpathSync(onnxPath) : onnxPath;
  const hash = sourceSha256 ?? (await sha256File(sourcePath));
  return {
    sourcePath,
    cachePath: join(cacheDir, `${hash}-${tag}.onnx`),
    externalDataDir: dirname(resolve(sourcePath)),
    sourceSha256: hash,
  };
}
