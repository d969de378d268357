// Measures the library journal at a given size: file size, open (replay + record checks) time and heap,
// append latency (each one fsynced) and compaction time. The numbers in journal.ts's header come from here.
//   npx tsx scripts/measure-library-store.ts [--photos 10000] [--chats 50000] [--visual-tokens 832] [--appends 200]
import { createReadStream, createWriteStream, promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Answer, ChatEntry, CompareResult, Photo } from '../src-shared/api';
import { LibraryStore, storeRecordProblem, type StoreRecord } from '../src-main/service/library-store';

const { values } = parseArgs({
  options: {
    photos: { type: 'string', default: '10000' },
    chats: { type: 'string', default: '50000' },
    'visual-tokens': { type: 'string', default: '832' },
    appends: { type: 'string', default: '200' },
  },
});
const photos = Number(values.photos);
const chats = Number(values.chats);
const visualTokens = Number(values['visual-tokens']);
const appends = Number(values.appends);

// A chat entry as the app stores it after a SmolVLM answer: scores are float32 values (about 20 characters
// each in JSON), a quarter of the tokens kept, 32 generated tokens per side.
function result(seed: number): CompareResult {
  const answer = (): Answer => ({
    text: 'A cat sitting on a wooden table next to a cup of coffee, in warm afternoon light.',
    tokens: Array.from({ length: 32 }, (_, i) => 1000 + ((seed + i * 37) % 40000)),
    timings: {
      preprocessMs: 248.61,
      visionMs: 131.81,
      embedMs: 4.21,
      prefillMs: 336.91,
      decodeMs: 64.21,
      decodeTokens: 31,
      tokensPerSecond: 482.71,
      totalMs: 651.11,
    },
    counts: { visualTokens, promptTokens: visualTokens + 70, generatedTokens: 32, kvCacheBytes: 12_345_678 },
    visionCached: false,
  });
  const scores = Array.from(Float32Array.from({ length: visualTokens }, (_, i) => Math.abs(Math.sin(seed * 7919 + i)) / visualTokens));
  const tiles = Math.max(1, Math.round(visualTokens / 64));
  return {
    full: answer(),
    pruned: { ...answer(), method: 'received', kept: Array.from({ length: Math.floor(visualTokens / 4) }, (_, i) => i * 4) },
    scores,
    grid: {
      tiles: Array.from({ length: tiles }, (_, i) => ({
        x: (i % 4) / 4,
        y: Math.floor(i / 4) / 4,
        width: 0.25,
        height: 0.25,
        rows: 8,
        cols: 8,
        global: i === tiles - 1,
      })),
    },
  };
}

const photo = (i: number): Photo => ({
  id: `photo-${i}-${'0'.repeat(24)}`,
  name: `IMG_${i}.jpg`,
  path: `/home/person/Pictures/2024/IMG_${i}.jpg`,
  width: 4032,
  height: 3024,
  addedAt: 1_700_000_000_000 + i,
});
const chat = (i: number, withResult = true): ChatEntry => ({
  id: `chat-${i}-${'0'.repeat(26)}`,
  photoId: photo(i % photos).id,
  question: 'What is in this photo, and what colour is the biggest object?',
  askedAt: 1_700_000_000_000 + i,
  method: 'received',
  budget: { kind: 'ratio', ratio: 0.25 },
  ...(withResult ? { result: result(i) } : {}),
});

async function writeJournal(file: string): Promise<void> {
  const out = createWriteStream(file);
  const write = (r: StoreRecord) =>
    new Promise<void>((resolve) => (out.write(JSON.stringify(r) + '\n') ? resolve() : out.once('drain', resolve)));
  for (let i = 0; i < photos; i++) await write({ op: 'photo', photo: photo(i) });
  for (let i = 0; i < chats; i++) await write({ op: 'chat', entry: chat(i) });
  await new Promise<void>((resolve, reject) => out.end((e?: Error | null) => (e ? reject(e) : resolve())));
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const p95 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.95)];
const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'vtc-measure-store-'));
try {
  const file = path.join(dir, 'library.jsonl');
  await writeJournal(file);
  const size = (await fsp.stat(file)).size;
  console.log(`journal: ${photos} photos, ${chats} chats with ${visualTokens}-token results: ${mb(size)}`);

  // Where open's time goes: reading and parsing the lines, and checking each record's shape.
  const parsed: unknown[] = [];
  let t = performance.now();
  let pending = '';
  for await (const chunk of createReadStream(file, { encoding: 'utf8', highWaterMark: 1 << 20 })) {
    const lines = (pending + chunk).split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) parsed.push(JSON.parse(line));
  }
  const parseMs = performance.now() - t;
  t = performance.now();
  for (const value of parsed) if (storeRecordProblem(value)) throw new Error('a generated record is invalid');
  console.log(`of which: read + JSON.parse ${parseMs.toFixed(0)} ms, record checks ${(performance.now() - t).toFixed(0)} ms`);
  parsed.length = 0;

  global.gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  const t0 = performance.now();
  const store = await LibraryStore.open(dir);
  const openMs = performance.now() - t0;
  global.gc?.();
  console.log(
    `open (read, parse, check, apply): ${openMs.toFixed(0)} ms; heap held by the store: ${mb(process.memoryUsage().heapUsed - heapBefore)}`,
  );
  console.log(`state: ${store.photos().length} photos, ${store.allChats().length} chats`);

  for (const [label, withResult] of [
    ['question asked (no result yet)', false],
    ['answer stored (with result)', true],
  ] as const) {
    const times: number[] = [];
    for (let i = 0; i < appends; i++) {
      const t = performance.now();
      await store.putChat(chat(chats + i + (withResult ? appends : 0), withResult));
      times.push(performance.now() - t);
    }
    console.log(`append, ${label}: median ${median(times).toFixed(2)} ms, p95 ${p95(times).toFixed(2)} ms (fsync each)`);
  }
  const t1 = performance.now();
  await store.compact();
  console.log(`compaction: ${(performance.now() - t1).toFixed(0)} ms`);
  await store.close();
} finally {
  await fsp.rm(dir, { recursive: true, force: true });
}
