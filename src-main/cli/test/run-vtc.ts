// Test helper: runs the `vtc` CLI in a child process, as a person would, with its own data folder, and
// collects the exit code and both streams.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from '../../engine/test/paths';

export interface VtcRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** `extraEnv` adds variables (e.g. VTC_MANIFESTS_DIR) to the child's environment. */
export function runVtc(args: string[], dataDir: string, extraEnv: Record<string, string> = {}): Promise<VtcRun> {
  const main = join(REPO_ROOT, 'src-main/cli/main.ts');
  const env = { ...process.env, VTC_DATA_DIR: dataDir, ...extraEnv };
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', main, ...args], { cwd: REPO_ROOT, env }, (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code) : 0, stdout, stderr }),
    );
  });
}

/** The lines a person sees on stderr (blank lines dropped). */
export const stderrLines = (run: VtcRun) => run.stderr.split('\n').filter((l) => l.trim() !== '');
