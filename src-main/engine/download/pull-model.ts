// `vtc models pull` and the app's download button: fetch every file one variant of a known model needs into
// `<data>/models/<id>/` (Hugging Face layout), skipping files already verified, one file at a time.
import { mkdir, stat, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import type { DownloadProgress } from '../../../src-shared/api';
import { isEngineError, EngineError } from '../errors';
import { userDataDir, modelsRoot } from '../catalog/data-dir';
import { loadManifest, variantFiles, type ExpectedFile, type ModelManifest } from '../catalog/manifest';
import { sha256File } from '../storage/file-hash';
import { asDiskError, downloadFile, megabytes, type DownloadIo } from './download-file';
import { hfFileUrl, resolveHfBase } from './hf-url';
import { acquirePullLock } from './pull-lock';
import { serverStatedFile } from './server-stated-file';
import { isRecordedVerified, readVerifiedFiles, writeVerifiedFiles } from './verified-files';

export interface PullOptions {
  modelId: string;
  /** A variant named in the manifest (e.g. q4, int8, fp32); absent: the manifest's default (the CPU set). */
  variant?: string;
  /** Download base; absent: VTC_HF_BASE, then https://huggingface.co. */
  baseUrl?: string;
  dataDir?: string;
  manifestsDir?: string;
  /** Aborting pauses: the current file's partial stays and the next pull resumes it. */
  signal?: AbortSignal;
  onProgress?: (p: DownloadProgress) => void;
  io?: Partial<DownloadIo>;
  /** Give up on a file when the server sends nothing for this long; default DOWNLOAD_STALL_TIMEOUT_MS. */
  stallTimeoutMs?: number;
  /** Free bytes on the disk holding `dir`; replaceable in tests. */
  freeBytes?: (dir: string) => Promise<number>;
  /** Take files for which neither the manifest nor the server gives a sha256, checking only their size. */
  noVerify?: boolean;
}

export interface PulledFile {
  path: string;
  bytes: number;
  /** `present`: already there and verified, nothing fetched. */
  action: 'present' | 'downloaded' | 'resumed';
}

export interface PullResult {
  modelId: string;
  variant: string;
  dir: string;
  files: PulledFile[];
  transferredBytes: number;
}

async function diskFreeBytes(dir: string): Promise<number> {
  const s = await statfs(dir);
  return s.bavail * s.bsize;
}

async function statIfExists(path: string) {
  try {
    return await stat(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

export async function pullModel(options: PullOptions): Promise<PullResult> {
  const manifest = await loadManifest(options.modelId, options.manifestsDir);
  const variant = options.variant ?? manifest.defaultVariant;
  const paths = variantFiles(manifest, variant);
  const base = resolveHfBase(options.baseUrl);
  const dir = join(modelsRoot(options.dataDir ?? userDataDir()), manifest.id);

  let release: () => Promise<void>;
  try {
    await mkdir(dir, { recursive: true });
    release = await acquirePullLock(dir, manifest.id);
  } catch (e) {
    throw asDiskError(e, dir, 'nothing downloaded yet');
  }
  try {
    const expected = await expectedFiles(manifest, paths, base, options);
    return await pullFiles({ manifest, variant, paths, base, dir, expected }, options);
  } finally {
    await release();
  }
}

/**
 * What each file is checked against: the manifest's size and sha256, or, where it gives none, what the server
 * states in its resolve answer (X-Linked-Size, X-Linked-Etag). All are settled before any file is fetched, so a
 * file nobody gives a checksum for is refused (unless `noVerify`) before the weights come down.
 */
async function expectedFiles(manifest: ModelManifest, paths: string[], base: string, options: PullOptions) {
  const expected: Record<string, ExpectedFile> = {};
  for (const path of paths) {
    const listed = manifest.files[path];
    if (listed.bytes !== undefined && listed.sha256 !== undefined) {
      expected[path] = { bytes: listed.bytes, sha256: listed.sha256 };
      continue;
    }
    const url = hfFileUrl(base, manifest.repo, manifest.revision, path);
    const stated = await serverStatedFile(url, options.io?.fetch);
    const bytes = listed.bytes ?? stated.bytes;
    const sha256 = listed.sha256 ?? stated.sha256;
    if (bytes === undefined) throw new EngineError('DOWNLOAD_FAILED', `neither the manifest nor ${url} states the size of ${path}`);
    if (sha256 === undefined && !options.noVerify) {
      throw new EngineError(
        'DOWNLOAD_FAILED',
        `neither the manifest nor ${url} gives a sha256 for ${path} (no X-Linked-Etag or ETag holding one); ` +
          'nothing was downloaded. Pull with --no-verify to take such files unchecked',
      );
    }
    expected[path] = { bytes, sha256, statedBy: `the server (${url})` };
  }
  return expected;
}

interface PullPlan {
  manifest: ModelManifest;
  variant: string;
  paths: string[];
  base: string;
  dir: string;
  expected: Record<string, ExpectedFile>;
}

async function pullFiles(
  { manifest, variant, paths, base, dir, expected: expectedOf }: PullPlan,
  options: PullOptions,
): Promise<PullResult> {
  const localPath = (path: string) => join(dir, ...path.split('/'));
  const report = (file: string, receivedBytes: number, state: DownloadProgress['state'], error?: string) =>
    options.onProgress?.({ modelId: manifest.id, file, receivedBytes, totalBytes: expectedOf[file].bytes, state, error });
  const verified = await readVerifiedFiles(dir);
  const saveVerified = async (path: string) => {
    const stats = await stat(localPath(path));
    // A file taken unchecked is recorded with an empty sum: only another unchecked pull takes it as present.
    verified[path] = { bytes: stats.size, mtimeMs: stats.mtimeMs, sha256: expectedOf[path].sha256 ?? '' };
    // A full disk here is DISK_FULL from the atomic write; the file itself is complete and is not fetched again.
    await writeVerifiedFiles(dir, verified);
  };

  // First settle which files are already there, so the free-space check counts only what is missing.
  const present = new Set<string>();
  let missingBytes = 0;
  for (const path of paths) {
    const expected = expectedOf[path];
    const stats = await statIfExists(localPath(path));
    if (stats && isRecordedVerified(verified[path], stats, expected.sha256 ?? '')) {
      present.add(path);
    } else if (stats?.size === expected.bytes) {
      report(path, 0, 'verifying');
      if (!expected.sha256 || (await sha256File(localPath(path))) === expected.sha256) {
        present.add(path);
        await saveVerified(path);
      }
    }
    if (!present.has(path)) missingBytes += expected.bytes - ((await statIfExists(`${localPath(path)}.partial`))?.size ?? 0);
  }
  const free = await (options.freeBytes ?? diskFreeBytes)(dir);
  if (missingBytes > free) {
    throw new EngineError(
      'DISK_FULL',
      `${manifest.id} (${variant}) needs ${megabytes(missingBytes)} more in ${dir}, but only ${megabytes(free)} is free`,
    );
  }

  const files: PulledFile[] = [];
  let transferredBytes = 0;
  for (const path of paths) {
    const expected = expectedOf[path];
    if (present.has(path)) {
      files.push({ path, bytes: expected.bytes, action: 'present' });
      report(path, expected.bytes, 'done');
      continue;
    }
    try {
      const result = await downloadFile({
        url: hfFileUrl(base, manifest.repo, manifest.revision, path),
        dest: localPath(path),
        expected,
        label: path,
        signal: options.signal,
        io: options.io,
        stallTimeoutMs: options.stallTimeoutMs,
        onProgress: (p) => report(path, p.receivedBytes, p.state),
      });
      await saveVerified(path);
      transferredBytes += result.transferredBytes;
      files.push({ path, bytes: expected.bytes, action: result.resumedFrom > 0 ? 'resumed' : 'downloaded' });
      report(path, expected.bytes, 'done');
    } catch (e) {
      const paused = isEngineError(e) && e.code === 'CANCELLED';
      report(path, (await statIfExists(`${localPath(path)}.partial`))?.size ?? 0, paused ? 'paused' : 'error', (e as Error).message);
      throw e;
    }
  }
  return { modelId: manifest.id, variant, dir, files, transferredBytes };
}
