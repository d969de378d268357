import { describe, expect, it } from 'vitest';
import { modelsRoot, userDataDir } from './data-dir';

describe('userDataDir', () => {
  it('follows each OS convention', () => {
    expect(userDataDir({ env: {}, platform: 'linux', home: '/home/ana' })).toBe('/home/ana/.local/share/vtc-photo-assistant');
    expect(userDataDir({ env: { XDG_DATA_HOME: '/xdg' }, platform: 'linux', home: '/home/ana' })).toBe('/xdg/vtc-photo-assistant');
    expect(userDataDir({ env: {}, platform: 'darwin', home: '/Users/ana' })).toBe(
      '/Users/ana/Library/Application Support/vtc-photo-assistant',
    );
    expect(userDataDir({ env: { APPDATA: 'C:\\Users\\ana\\AppData\\Roaming' }, platform: 'win32', home: 'C:\\Users\\ana' })).toBe(
      'C:\\Users\\ana\\AppData\\Roaming\\vtc-photo-assistant',
    );
  });

  it('lets VTC_DATA_DIR override every platform', () => {
    for (const platform of ['linux', 'darwin', 'win32'] as const) {
      expect(userDataDir({ env: { VTC_DATA_DIR: '/tmp/vtc', APPDATA: 'x', XDG_DATA_HOME: 'y' }, platform, home: '/h' })).toBe('/tmp/vtc');
    }
  });

  it('keeps models in <data>/models', () => {
    expect(modelsRoot('/data')).toBe('/data/models');
  });
});
