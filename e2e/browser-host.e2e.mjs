// The browser host end to end, against the embedded fixture models: import, ask, heatmap, batch,
// models, bad files, and a host restart on the same data folder. Steps share one page and run in order.
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import sharp from 'sharp';
import { launchChromium, screenshot } from './browser.mjs';
import { repoRoot, startHost } from './host.mjs';

const PHOTOS = path.join(repoRoot, 'test-assets/photos');
const ANSWER_TIMEOUT = 240_000;
const QUESTION = 'What colour is the biggest shape?';

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'vtc-e2e-data-'));
const badDir = mkdtempSync(path.join(os.tmpdir(), 'vtc-e2e-bad-'));
let host;
let browser;
let page;

const tiles = () => page.getByTestId('photo-tile');
const tile = (name) => tiles().filter({ hasText: name });
const photoCount = async () => Number((await page.getByTestId('photo-count').textContent()).split(' ')[0]);

async function waitForCount(expected) {
  await page.waitForFunction(
    (n) => document.querySelector('[data-testid="photo-count"]')?.textContent?.trim().startsWith(`${n} `),
    expected,
  );
}

/** Searches and waits until the grid shows the answer to this query (not a stale one). */
async function search(query) {
  await page.getByTestId('search').fill(query);
  await page.locator(`[data-testid="photo-count"][data-query="${query}"]`).waitFor();
  return (await tiles().allTextContents()).map((t) => t.replace('×', '').trim());
}

async function openLibrary() {
  await page.getByTestId('nav-library').click();
  await search('');
}

const pageErrors = [];

// A failed step leaves a screenshot and the tail of the host's output and page errors in the report.
function step(name, fn) {
  test(name, async () => {
    try {
      await fn();
    } catch (e) {
      await screenshot(page, `failed-${name.replace(/\W+/g, '-').slice(0, 40)}`).catch(() => {});
      const context = `--- host output (tail) ---\n${host?.log().slice(-3000)}\n--- page errors ---\n${pageErrors.join('\n')}`;
      throw new Error(`${e.message}\n${context}`, { cause: e });
    }
  });
}

async function askAndWait(question, entriesBefore) {
  await page.getByTestId('ask-input').fill(question);
  await page.getByTestId('ask-input').press('Enter');
  await page.getByTestId('chat-entry').nth(entriesBefore).getByTestId('timings').waitFor({ timeout: ANSWER_TIMEOUT });
  return page.getByTestId('chat-entry').nth(entriesBefore);
}

/** Applies a model in the engine settings and goes back to the library. */
async function useModel(modelId) {
  await page.getByTestId('nav-models').click();
  // Test fixtures with random weights are offered only as a developer option.
  await page.getByTestId('developer-models').check();
  await page.getByTestId('settings-model').selectOption(modelId);
  await page.getByRole('button', { name: 'Apply' }).click();
  await page.getByTestId('notice').filter({ hasText: 'Engine settings applied' }).last().waitFor({ timeout: 60_000 });
  await openLibrary();
}

/** Asks on the open photo and waits for this question's answer (the photo may have older chats, loaded late). */
async function askNamed(question) {
  await page.getByTestId('ask-input').fill(question);
  await page.getByTestId('ask-input').press('Enter');
  const entry = page.getByTestId('chat-entry').filter({ hasText: question });
  await entry.getByTestId('timings').waitFor({ timeout: ANSWER_TIMEOUT });
  return entry;
}

describe('browser host', { timeout: 900_000 }, () => {
  before(async () => {
    host = await startHost(dataDir);
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.on('console', (m) => m.type() === 'error' && pageErrors.push(m.text()));
    await page.goto(host.url);
    await page.getByTestId('photo-count').waitFor();
  });

  after(async () => {
    await browser?.close();
    await host?.stop();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(badDir, { recursive: true, force: true });
  });

  step('first run uses the embedded model and says how to get SmolVLM', async () => {
    const banner = page.getByTestId('first-run');
    await banner.waitFor();
    assert.match(await banner.textContent(), /built-in model/);
    await page.getByTestId('nav-models').click();
    await page.getByTestId('model-row').first().waitFor();
    assert.ok((await page.getByTestId('model-row').count()) >= 2, 'installed and downloadable models are listed');
    assert.match(await page.getByTestId('machine-info').textContent(), /CPU threads; execution providers available: .*CPU/);
    // The random-weight fixture is labelled, and not offered as an answering model unless asked for.
    const fixture = page.locator('[data-testid="model-row"][data-model-id="tiny-smolvlm"]');
    assert.match(await fixture.textContent(), /random weights · test only/);
    const offered = () => page.getByTestId('settings-model').locator('option').allTextContents();
    assert.deepEqual(
      (await offered()).filter((o) => /^tiny-smolvlm( |$)/.test(o)),
      [],
    );
    assert.equal(await page.getByTestId('settings-model').inputValue(), 'tiny-llava');
    await page.getByTestId('developer-models').check();
    assert.deepEqual(
      (await offered()).filter((o) => /^tiny-smolvlm( |$)/.test(o)),
      ['tiny-smolvlm (random weights, test only)'],
    );
    await page.getByTestId('developer-models').uncheck();
    await screenshot(page, 'models');
  });

  step('offline, a download fails with a clear reason and can be retried; engine settings apply', async () => {
    const row = page
      .locator('[data-testid="model-row"]')
      .filter({ has: page.getByTestId('download') })
      .first();
    await row.getByTestId('download').click();
    await row
      .getByTestId('download-progress')
      .filter({ hasText: /error.*cannot reach/ })
      .waitFor({ timeout: 60_000 });
    assert.equal(await row.getByTestId('download').textContent(), 'Retry');
    await page
      .getByTestId('notice')
      .filter({ hasText: /Download of .* failed/ })
      .waitFor();

    await page.getByTestId('settings-threads').fill('1');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.getByTestId('notice').filter({ hasText: 'Engine settings applied' }).waitFor({ timeout: 60_000 });
    await page.getByTestId('nav-library').click();
    await page.getByTestId('nav-models').click();
    assert.equal(await page.getByTestId('settings-threads').inputValue(), '1', 'the setting was kept');
  });

  step('imports the sample photos folder into a grid of thumbnails', async () => {
    await openLibrary();
    const before = await photoCount();
    await page.getByTestId('import-path').fill(PHOTOS);
    await page.getByTestId('import-path').press('Enter');
    await waitForCount(before + 7);
    await tile('chelsea.png').waitFor();
    // Thumbnails really load (naturalWidth > 0), not just tiles.
    await page.waitForFunction(() => {
      const imgs = [...document.querySelectorAll('[data-testid="photo-tile"] img')];
      return imgs.length > 0 && imgs.every((img) => img.complete && img.naturalWidth > 0);
    });
    await screenshot(page, 'library');
  });

  step('a corrupt file and a non-image get a clear message and nothing else breaks', async () => {
    const before = await photoCount();
    const corrupt = path.join(badDir, 'broken-photo.jpg');
    const text = path.join(badDir, 'notes.txt');
    // A JPEG signature followed by garbage: looks like a photo by name and header, but cannot be decoded.
    writeFileSync(
      corrupt,
      Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10]), Buffer.from('JFIF\0 this is not image data '.repeat(40))]),
    );
    writeFileSync(text, 'Shopping list: milk, eggs.\n');
    await page.getByTestId('import').setInputFiles([corrupt, text]);
    const report = page.getByTestId('import-errors');
    await report.waitFor();
    const problems = await page.getByTestId('import-error').allTextContents();
    assert.equal(problems.length, 2, problems.join('\n'));
    const byName = (name) => problems.find((p) => p.startsWith(name));
    assert.match(byName('broken-photo.jpg') ?? '', /broken-photo\.jpg: .{10,}/);
    assert.match(byName('notes.txt') ?? '', /notes\.txt: .*(not an? .*image|image)/i);
    for (const p of problems) assert.doesNotMatch(p, /\n\s+at |Error:|undefined/, 'messages are for people, not stack traces');
    await screenshot(page, 'import-errors');
    assert.equal(await photoCount(), before, 'no photo was added or lost');
    assert.deepEqual(await search('chelsea'), ['chelsea.png']);
    await search('');
    await waitForCount(before);
  });

  step('dropping a photo on the library imports it', async () => {
    const before = await photoCount();
    const png = await sharp({ create: { width: 96, height: 64, channels: 3, background: '#3a7' } })
      .png()
      .toBuffer();
    const transfer = await page.evaluateHandle((base64) => {
      const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
      const dt = new DataTransfer();
      dt.items.add(new File([bytes], 'dropped-green.png', { type: 'image/png' }));
      return dt;
    }, png.toString('base64'));
    const target = page.getByRole('region', { name: 'Photo library' });
    await target.dispatchEvent('dragover', { dataTransfer: transfer });
    await target.dispatchEvent('drop', { dataTransfer: transfer });
    await waitForCount(before + 1);
    await tile('dropped-green.png').waitFor();
  });

  step('a suggested question on a demo scene: both sides progress, and each is marked correct or wrong', async () => {
    await openLibrary();
    await tile('Demo scene 2.png').locator('button.open').click();
    const chips = page.getByTestId('suggestion');
    await chips.first().waitFor();
    assert.equal(await chips.count(), 3);
    await screenshot(page, 'demo-suggestions');
    // Every change the chat shows while the answer runs, to see both sides progressing before the full one is done.
    await page.evaluate(() => {
      window.sidesSeen = [];
      const log = document.querySelector('[data-testid="chat-log"]');
      new MutationObserver(() => {
        const pending = log.querySelector('[data-testid="chat-pending"]');
        const text = (id) => pending?.querySelector(`[data-testid="${id}"]`)?.textContent?.trim() ?? '';
        if (pending) window.sidesSeen.push({ pruned: text('status-pruned'), full: text('status-full') });
      }).observe(log, { subtree: true, childList: true, characterData: true });
    });
    const question = await chips.first().textContent();
    await chips.first().click();
    const entry = page.getByTestId('chat-entry').first();
    await entry.getByTestId('timings').waitFor({ timeout: ANSWER_TIMEOUT });
    assert.equal(await entry.locator('.question').textContent(), question);
    const seen = await page.evaluate(() => window.sidesSeen);
    assert.ok(
      seen.some((s) => /^(Reading|Encoding) the photo/.test(s.pruned) && s.pruned === s.full),
      `the photo's shared stage shows on both sides: ${JSON.stringify(seen)}`,
    );
    assert.ok(
      seen.some((s) => s.pruned === 'Answered' && /^(Reading the prompt|Writing)…$/.test(s.full)),
      `the pruned side answered while the full side was still working: ${JSON.stringify(seen)}`,
    );
    for (const side of ['full', 'pruned']) assert.match(await entry.getByTestId(`verdict-${side}`).textContent(), /^(✓ correct|✗ wrong)$/);
    assert.match(await entry.getByTestId('truth').textContent(), /^True answer: \S+/);
    await screenshot(page, 'demo-answer');
    await openLibrary();
  });

  step('asking shows both answers side by side with timings', async () => {
    await tile('chelsea.png').locator('button.open').click();
    await page.getByTestId('ask-input').waitFor();
    const entry = await askAndWait(QUESTION, 0);
    const full = await entry.getByTestId('answer-full').textContent();
    const pruned = await entry.getByTestId('answer-pruned').textContent();
    assert.match(full, /Full\s*\d+ visual tokens/);
    assert.match(pruned, /Pruned\s*\d+ tokens · vtc-cls/);
    const [n, k] = (await entry.getByTestId('token-counts').locator('td').allTextContents()).map(Number);
    assert.ok(k < n, `pruned keeps fewer visual tokens (${k}) than full (${n})`);
    // One speed convention: the base named, faster or slower, never a bare or negative figure.
    assert.match(
      await entry.getByTestId('speedup').textContent(),
      /^Pruned answer: (\d+\.\d× (faster|slower) than full|as fast as full)(; prefill (\d+\.\d× (faster|slower) than full|as fast as full))?$/,
    );
    for (const size of await entry.getByTestId('kv-cache').locator('td').allTextContents())
      assert.match(size, /^\d+(\.\d+)? (B|kB|MB|GB)$/);
    // The photo's stages are shown once, for both sides.
    assert.match(await entry.getByTestId('photo-note').textContent(), /shared by both answers/);
  });

  step('the heatmap toggles over the photo', async () => {
    const toggle = page.getByTestId('heatmap-toggle');
    await toggle.check();
    const canvas = page.getByTestId('heatmap');
    await canvas.waitFor();
    const kept = Number(await canvas.getAttribute('data-kept'));
    const cells = Number(await canvas.getAttribute('data-cells'));
    assert.ok(kept > 0 && kept < cells, `some but not all tokens are kept (${kept}/${cells})`);
    const painted = await canvas.evaluate((c) => {
      const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 3; i < data.length; i += 4) if (data[i] > 0) n++;
      return n / (c.width * c.height);
    });
    assert.ok(painted > 0.5, `the overlay covers the photo (${(painted * 100).toFixed(0)}% painted)`);
    const photoBox = await page.getByTestId('photo').boundingBox();
    const canvasBox = await canvas.boundingBox();
    assert.ok(
      Math.abs(photoBox.width - canvasBox.width) < 2 && Math.abs(photoBox.height - canvasBox.height) < 2,
      'the overlay lines up with the photo',
    );
    await screenshot(page, 'photo-heatmap');
    await toggle.uncheck();
    await canvas.waitFor({ state: 'detached' });
  });

  step('a follow-up keeps the history and reuses the cached vision features', async () => {
    const entry = await askAndWait('And what is next to it?', 1);
    assert.equal(await page.getByTestId('chat-entry').count(), 2);
    assert.match(await entry.getByTestId('photo-note').textContent(), /from the cache: the encoder was skipped/);
    await screenshot(page, 'photo-chat');
  });

  step('search finds photos by file name and by past questions', async () => {
    await openLibrary();
    assert.deepEqual(await search('rocket'), ['rocket.jpg']);
    assert.deepEqual(await search('biggest shape'), ['chelsea.png']);
    await search('');
  });

  step('a batch question over a selection fills the results table', async () => {
    for (const name of ['coffee.png', 'coins.png']) await tile(name).getByTestId('photo-select').check();
    await page.getByTestId('batch-selected').click();
    await page.getByTestId('batch-question').fill('What is in the picture?');
    await page.getByTestId('batch-start').click();
    await page
      .getByTestId('batch-progress')
      .filter({ hasText: /2\/2 · finished/ })
      .waitFor({ timeout: ANSWER_TIMEOUT });
    const rows = page.getByTestId('batch-results').locator('tbody tr');
    assert.equal(await rows.count(), 2);
    assert.match(await rows.allTextContents().then((t) => t.join('\n')), /coffee\.png[\s\S]*coins\.png|coins\.png[\s\S]*coffee\.png/);
    await page.getByTestId('batch-summary').waitFor();
    await screenshot(page, 'batch');
  });

  step('an engine crash is shown, the engine restarts and answers again', async () => {
    const pids = [...host.log().matchAll(/VTC engine ready: pid (\d+)/g)].map((m) => Number(m[1]));
    assert.ok(pids.length > 0, 'the host reports the engine pid');
    await openLibrary();
    await tile('Demo scene 1.png').locator('button.open').click();
    await page.getByTestId('ask-input').waitFor();
    process.kill(pids.at(-1), 'SIGKILL');
    await page.locator('[data-testid="engine-status"][data-state="restarting"]').waitFor();
    await page.getByTestId('notice').filter({ hasText: 'engine was restarted' }).waitFor({ timeout: 60_000 });
    await page.getByTestId('engine-status').waitFor({ state: 'detached' });
    const entry = await askAndWait('What colour is the biggest shape?', 0);
    assert.match(await entry.getByTestId('answer-full').textContent(), /Full\s*\d+ visual tokens\s*\S+/);
  });

  step('removing a photo takes it out of the library', async () => {
    await openLibrary();
    const before = await photoCount();
    await tile('rocket.jpg').hover();
    await tile('rocket.jpg').getByTestId('remove-photo').click();
    await waitForCount(before - 1);
    assert.equal(await tile('rocket.jpg').count(), 0);
  });

  step('the demo album can be restored after a scene was removed', async () => {
    const before = await photoCount();
    await tile('Demo scene 6.png').hover();
    await tile('Demo scene 6.png').getByTestId('remove-photo').click();
    await waitForCount(before - 1);
    await page.getByTestId('restore-demo').click();
    await waitForCount(before);
    await page.getByTestId('notice').filter({ hasText: 'Restored 1 demo scene.' }).waitFor();
  });

  step('a host restart on the same data folder keeps the library and the chat history', async () => {
    const before = await photoCount();
    await host.stop();
    host = await startHost(dataDir);
    await page.goto(host.url);
    await waitForCount(before);
    assert.equal(await tile('rocket.jpg').count(), 0, 'the removal survived');
    await tile('chelsea.png').locator('button.open').click();
    await page.getByTestId('chat-entry').nth(1).waitFor();
    const questions = await page.locator('[data-testid="chat-entry"] .question').allTextContents();
    assert.deepEqual(questions, [QUESTION, 'And what is next to it?']);
    await page.getByTestId('chat-entry').first().getByTestId('timings').waitFor();
  });

  step('a damaged record in the library file is set aside, the app says where, and nothing else is lost', async () => {
    await openLibrary();
    const before = await photoCount();
    await host.stop();
    appendFileSync(path.join(dataDir, 'library.jsonl'), 'null\n');
    host = await startHost(dataDir);
    await page.goto(host.url);
    await waitForCount(before);
    const notice = page.getByTestId('notice').filter({ hasText: 'could not be read' });
    await notice.waitFor();
    assert.equal(await notice.getAttribute('data-kind'), 'warning');
    assert.match(
      await notice.textContent(),
      /^1 record in the library file library\.jsonl could not be read and was set aside in .*library\.quarantine\.jsonl\. Everything else in your library was kept\./,
    );
    assert.equal(await page.getByTestId('read-only').count(), 0, 'a damaged record does not make the library read-only');
    await screenshot(page, 'library-notice');
  });

  step('a big folder import shows which file it is on, and Cancel stops it', async () => {
    await openLibrary();
    const before = await photoCount();
    const big = mkdtempSync(path.join(os.tmpdir(), 'vtc-e2e-big-'));
    try {
      // Noise does not compress: each photo takes a moment to check and thumbnail, so the import runs for a while.
      const jpeg = await sharp({
        create: { width: 1600, height: 1200, channels: 3, background: '#888', noise: { type: 'gaussian', mean: 128, sigma: 50 } },
      })
        .jpeg()
        .toBuffer();
      for (let i = 0; i < 150; i++) writeFileSync(path.join(big, `big-${String(i).padStart(3, '0')}.jpg`), jpeg);
      await page.getByTestId('import-path').fill(big);
      await page.getByTestId('import-path').press('Enter');
      await page
        .getByTestId('import-progress-text')
        .filter({ hasText: /^Importing \d+ of 150: big-\d{3}\.jpg$/ })
        .waitFor();
      await page.waitForFunction(() => document.querySelector('[data-testid="import-progress"] progress')?.value >= 3);
      await screenshot(page, 'import-progress');
      await page.getByTestId('import-cancel').click();
      await page
        .getByTestId('notice')
        .filter({ hasText: /^Import cancelled; \d+ photos? added before it stopped\./ })
        .waitFor();
      await page.getByTestId('import-progress').waitFor({ state: 'detached' });
      const added = (await photoCount()) - before;
      assert.ok(added >= 3 && added < 150, `the import stopped part way (${added} of 150 added)`);
    } finally {
      rmSync(big, { recursive: true, force: true });
    }
  });

  step("Phi-3.5-vision's heatmap draws its global view and crops over the photo", async () => {
    await useModel('tiny-phi3v');
    await tile('coffee.png').locator('button.open').click();
    await page.getByTestId('ask-input').waitFor();
    // The photo has a chat from the steps before, answered by another model: find this answer by its question,
    // and show its tokens.
    const entry = await askNamed('What is in this photo?');
    await entry.getByRole('button', { name: 'Show tokens on photo' }).click();
    const toggle = page.getByTestId('heatmap-toggle');
    await toggle.check();
    const canvas = page.getByTestId('heatmap');
    await canvas.waitFor();
    // coffee.png (600 x 400) is cut into 2 x 2 crops plus the global view; the overlay draws the crops' 4 x 144 tokens.
    assert.equal(Number(await canvas.getAttribute('data-cells')), 576);
    const kept = Number(await canvas.getAttribute('data-kept'));
    assert.ok(kept > 0 && kept < 576, `some but not all tokens are kept (${kept}/576)`);
    await screenshot(page, 'phi3v-heatmap');
  });

  step('explain ranks by the question: its menu line, its legend, and a heatmap per question', async () => {
    await useModel('tiny-llava');
    await tile('Demo scene 1.png').locator('button.open').click();
    await page.getByTestId('ask-input').waitFor();
    await page.getByTestId('method').selectOption('explain');
    assert.match(await page.getByTestId('method-description').textContent(), /trained network .*arXiv 2506\.01097/);
    const first = await askNamed('what color is the circle?');
    const second = await askNamed('how many squares are there?');
    await second.getByRole('button', { name: 'Show tokens on photo' }).click();
    await page.getByTestId('heatmap-toggle').check();
    await page.getByTestId('heatmap').waitFor();
    assert.match(await page.getByTestId('heatmap-legend').textContent(), /relevance to this question/);
    await screenshot(page, 'explain-heatmap');
    // The first question's own ranking: each chat entry keeps the scores it was answered with.
    await first.getByRole('button', { name: 'Show tokens on photo' }).click();
    await page.getByTestId('heatmap').waitFor();
  });

  step("a crop budget encodes only the top half of SmolVLM's crops", async () => {
    await useModel('tiny-smolvlm-trained');
    await tile('chelsea.png').locator('button.open').click();
    await page.getByTestId('ask-input').waitFor();
    await page.getByTestId('crops').fill('0.5');
    assert.match(await page.getByTestId('crops').locator('..').textContent(), /Crops\s*50%\s*encoded/);
    const entry = await askNamed('how many objects are there?');
    // chelsea.png is 3 x 2 crops of 64 px and the global view, 16 tokens each: half the crops leaves 3 and the global view.
    const [n, k] = (await entry.getByTestId('token-counts').locator('td').allTextContents()).map(Number);
    assert.equal(n, 4 * 16);
    assert.ok(k < n, `pruned keeps fewer visual tokens (${k}) than full (${n})`);
    await screenshot(page, 'crop-budget');
  });
});
