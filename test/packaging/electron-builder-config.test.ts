// The packaged app's Electron fuses, read the way electron-builder reads them: its own loader parses
// electron-builder.yml and its own validator checks it against the schema, so a misspelt key fails here
// rather than being dropped silently at packaging time. (The Electron binary itself cannot be checked on a
// machine without one; @electron/fuses flips exactly these values in it.)
import path from 'node:path';
import { getConfig, validateConfiguration } from 'app-builder-lib/out/util/config/config';
import { DebugLogger } from 'builder-util';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');

describe('electron-builder configuration', () => {
  it('is valid for the installed electron-builder and sets every security fuse', async () => {
    const config = await getConfig(root, path.join(root, 'electron-builder.yml'), null);
    await validateConfiguration(config, new DebugLogger(false));
    expect(config.electronFuses).toEqual({
      runAsNode: false,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
      enableCookieEncryption: true,
      grantFileProtocolExtraPrivileges: false,
    });
    // onlyLoadAppFromAsar and the integrity check rest on the app being an asar archive.
    expect(config.asar).toBe(true);
  });
});
