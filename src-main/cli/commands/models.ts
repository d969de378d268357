// `vtc models list|pull|import`: the model catalogue and downloads, the same code the desktop app calls.
import type { DownloadProgress, ModelInfo } from '../../../src-shared/api';
import { formatBytes } from '../../../src-shared/format';
import { userDataDir } from '../../engine/catalog/data-dir';
import { BENCHMARK_MODELS } from '../../engine/catalog/benchmark-models';
import { importModelFolder, listModels } from '../../engine/catalog/model-catalog';
import { pullModel } from '../../engine/download/pull-model';
import { lockDataFolder } from '../../service/data-folder-lock';
import { CliUsageError, parseOptions } from '../args';

export const summary = 'list [--json] | pull ID [--variant V] [--base URL] [--no-verify] | import DIR';

function status(m: ModelInfo): string {
  if (m.embedded) return 'embedded';
  if (m.benchmark) return m.installed ? 'benchmark' : 'benchmark, built by vtc bench';
  return m.installed ? 'installed' : 'not installed';
}

export function modelTable(models: ModelInfo[]): string {
  const rows = [
    ['ID', 'STATUS', 'SIZE', 'FAMILY', 'FOLDER'],
    ...models.map((m) => [m.id, status(m), formatBytes(m.bytes), m.family, m.dir ?? '']),
  ];
  const widths = rows[0].map((_, col) => Math.max(...rows.map((r) => r[col].length)));
  return rows
    .map((r) =>
      r
        .map((cell, col) => cell.padEnd(widths[col]))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export function progressLine(p: DownloadProgress): string {
  const amount = `${formatBytes(p.receivedBytes)} / ${formatBytes(p.totalBytes)}`;
  const percent = p.totalBytes > 0 ? ` ${Math.floor((100 * p.receivedBytes) / p.totalBytes)}%` : '';
  return `${p.file}  ${p.state}  ${amount}${percent}`;
}

interface Terminal {
  isTTY?: boolean;
  write(text: string): unknown;
}

/**
 * On a terminal, one line per file rewritten in place (at most every 100 ms); in a log or a pipe, one line
 * per file when it is settled, so the output stays readable.
 */
export function progressPrinter(out: Terminal, now: () => number = Date.now): (p: DownloadProgress) => void {
  let lastDraw = -Infinity;
  return (p) => {
    const settled = p.state !== 'downloading' && p.state !== 'verifying';
    if (!out.isTTY) {
      if (settled) out.write(`${progressLine(p)}\n`);
      return;
    }
    if (!settled && now() - lastDraw < 100) return;
    lastDraw = now();
    out.write(`\r\x1b[K${progressLine(p)}${settled ? '\n' : ''}`);
  };
}

/**
 * Runs `work` as the data folder's one owner (see data-folder-lock.ts): a download or an import while the
 * app or the browser host has the folder is refused with that owner named, before anything is written.
 */
async function asOwner<T>(command: string, work: (dataDir: string) => Promise<T>): Promise<T> {
  const dataDir = userDataDir();
  const lock = await lockDataFolder(dataDir, command);
  try {
    return await work(dataDir);
  } finally {
    await lock.release();
  }
}

async function list(argv: string[]): Promise<void> {
  const { values } = parseOptions(argv, { json: { type: 'boolean' } });
  // The CLI lists the benchmark models too: `vtc bench --model <id>` builds one on first use.
  const models = await listModels({ benchmarkModels: BENCHMARK_MODELS });
  console.log(values.json ? JSON.stringify(models, null, 2) : modelTable(models));
}

async function pull(argv: string[]): Promise<void> {
  const { values, positionals } = parseOptions(
    argv,
    { variant: { type: 'string' }, base: { type: 'string' }, 'no-verify': { type: 'boolean' } },
    true,
  );
  if (positionals.length !== 1) throw new CliUsageError('usage: vtc models pull ID [--variant V] [--base URL] [--no-verify]');
  // Ctrl-C pauses: the partial file stays and the next pull resumes it.
  const controller = new AbortController();
  const pause = () => controller.abort();
  process.once('SIGINT', pause);
  try {
    const result = await asOwner('vtc models pull', (dataDir) =>
      pullModel({
        modelId: positionals[0],
        variant: values.variant,
        baseUrl: values.base,
        // Files that neither the manifest nor the server gives a sha256 for are taken on their size alone.
        noVerify: values['no-verify'] === true,
        dataDir,
        signal: controller.signal,
        onProgress: progressPrinter(process.stderr),
      }),
    );
    const total = result.files.reduce((sum, f) => sum + f.bytes, 0);
    console.log(
      `${result.modelId} (${result.variant}): ${result.files.length} files, ${formatBytes(total)} in ${result.dir}` +
        ` (${formatBytes(result.transferredBytes)} downloaded)`,
    );
  } finally {
    process.off('SIGINT', pause);
  }
}

async function importFolder(argv: string[]): Promise<void> {
  const { positionals } = parseOptions(argv, {}, true);
  if (positionals.length !== 1) throw new CliUsageError('usage: vtc models import DIR');
  const model = await asOwner('vtc models import', (dataDir) => importModelFolder(positionals[0], { dataDir }));
  console.log(`imported ${model.dir} as '${model.id}' (${model.family}, ${formatBytes(model.bytes)})`);
}

const SUBCOMMANDS: Record<string, (argv: string[]) => Promise<void>> = { list, pull, import: importFolder };

export async function run(argv: string[]): Promise<void> {
  const [name, ...rest] = argv;
  const sub = name !== undefined && Object.hasOwn(SUBCOMMANDS, name) ? SUBCOMMANDS[name] : undefined;
  if (!sub) throw new CliUsageError(`usage: vtc models ${summary}`);
  await sub(rest);
}
