// Where the application keeps what it downloads and remembers: one folder per user, by OS convention,
// overridable with VTC_DATA_DIR (tests and portable installs point it elsewhere).
import { homedir } from 'node:os';
import { join, win32 } from 'node:path';

export const APP_FOLDER_NAME = 'vtc-photo-assistant';

export interface DataDirContext {
  env: Record<string, string | undefined>;
  platform: NodeJS.Platform;
  home: string;
}

const currentContext = (): DataDirContext => ({ env: process.env, platform: process.platform, home: homedir() });

export function userDataDir(ctx: DataDirContext = currentContext()): string {
  const { env, platform, home } = ctx;
  if (env.VTC_DATA_DIR) return env.VTC_DATA_DIR;
  if (platform === 'win32') return win32.join(env.APPDATA || win32.join(home, 'AppData', 'Roaming'), APP_FOLDER_NAME);
  if (platform === 'darwin') return join(home, 'Library', 'Application Support', APP_FOLDER_NAME);
  return join(env.XDG_DATA_HOME || join(home, '.local', 'share'), APP_FOLDER_NAME);
}

/** Downloaded models live in `<data>/models/<model-id>/`, in the Hugging Face repository layout. */
export function modelsRoot(dataDir = userDataDir()): string {
  return join(dataDir, 'models');
}
