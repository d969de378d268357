// The Electron app end to end: window, preload bridge and the engine's utility process. Runs where an
// Electron binary is installed; elsewhere it is skipped with the reason printed.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { _electron } from 'playwright-core';
import { screenshot } from './browser.mjs';
import { repoRoot } from './host.mjs';

// Read the electron package's path.txt rather than require('electron'), which tries to download the binary.
function electronBinary() {
  let dir;
  try {
    dir = path.dirname(createRequire(import.meta.url).resolve('electron/package.json'));
  } catch {
    return { reason: 'the electron package is not installed' };
  }
  const pathFile = path.join(dir, 'path.txt');
  if (!existsSync(pathFile)) return { reason: 'no Electron binary was downloaded (node_modules/electron has no path.txt)' };
  const binary = path.join(dir, 'dist', readFileSync(pathFile, 'utf8').trim());
  return existsSync(binary) ? { binary } : { reason: `the Electron binary is missing at ${binary}` };
}

const { binary, reason } = electronBinary();
if (reason) console.log(`Skipping the Electron end-to-end tests: ${reason}.`);

describe('electron app', { skip: reason, timeout: 600_000 }, () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'vtc-e2e-electron-'));
  let app;

  after(async () => {
    await app?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('opens a window whose preload bridge reaches the engine utility process', async () => {
    // Always rebuild: a stale out/main would test yesterday's app.
    execFileSync('npx', ['electron-vite', 'build', '--logLevel', 'warn'], { cwd: repoRoot, stdio: 'inherit' });
    app = await _electron.launch({
      executablePath: binary,
      args: [repoRoot, ...(process.platform === 'linux' ? ['--no-sandbox'] : [])],
      env: { ...process.env, VTC_DATA_DIR: dataDir },
    });
    const page = await app.firstWindow();
    await page.getByTestId('photo-count').waitFor({ timeout: 120_000 });
    assert.equal(await page.evaluate(() => typeof window.vtc?.invoke), 'function', 'the preload exposes window.vtc');
    assert.equal(await page.evaluate(() => typeof require), 'undefined', 'no Node in the renderer');
    const machine = await page.evaluate(() => window.vtc.invoke('machineInfo', {}));
    assert.ok(machine.providers.includes('cpu'));

    // A real question goes renderer → preload → main → utility process and back as streamed events.
    await page.getByTestId('photo-tile').first().locator('button.open').click();
    await page.getByTestId('ask-input').fill('What colour is the biggest shape?');
    await page.getByTestId('ask-input').press('Enter');
    await page.getByTestId('chat-entry').first().getByTestId('timings').waitFor({ timeout: 240_000 });
    await screenshot(page, 'electron-photo');
  });
});
