// One owner per data folder. The library journal, model downloads and the list of imported models are
// written by one process at a time: a second process on the same folder compacts the journal under the
// first one's feet (measured: it deleted the other's photos and chats) and seeds the demo album twice. So
// every process that writes the folder holds this lock (the app service, which the Electron app and the
// browser host both run, and `vtc models pull|import`), and a second one is refused at once, with the
// holder named. The model-running commands (ask, compare, eval, bench) do not take it: their one write to
// the data folder is the instrumented-graph cache, content-addressed and written through a per-process
// temporary file and a rename, which any number of processes can share, so they keep working while the
// app is open.
//
// Why a listening local socket rather than a pid file: the operating system closes a socket when its
// process ends, however it ends (kill -9 included), so a crashed holder never leaves the folder locked and
// no reused pid can impersonate it; and a live holder answers who it is, so the refusal can name it. The
// socket's name is a hash of the folder's real path, so every spelling of the path (a link, "..", a
// trailing slash) meets the same lock.
//  - Linux: an abstract socket ("\0name"), a kernel object with no file: binding it is atomic and nothing
//    is ever left behind. (It belongs to the network namespace, so containers with separate networks that
//    share one folder would not see each other; the app, the host and the CLI run side by side.)
//  - Windows: a named pipe, likewise a kernel object released when its process ends.
//  - macOS and other Unix systems: a socket file in os.tmpdir() (per user on macOS), not in the data
//    folder, because socket paths are limited to about 104 bytes. A holder that died leaves that file
//    behind; a contender whose connection is refused moves the file aside and deletes it only if it is the
//    very file it found dead, so a slower contender never deletes the socket of one that just took over.
import { createHash, randomBytes } from 'node:crypto';
import { promises as fsp, type BigIntStats } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { EngineError } from '../engine/errors';

/** What a holder answers to whoever knocks. */
export interface DataFolderOwner {
  /** The command or program, as a person would call it ("vtc serve"). */
  owner: string;
  pid: number;
  /** When it took the folder (ms since the epoch). */
  since: number;
}

export interface DataFolderLock {
  readonly dataDir: string;
  readonly holder: DataFolderOwner;
  /** Lets the next owner in. Idempotent. */
  release(): Promise<void>;
}

export type LockAddressKind = 'abstract' | 'pipe' | 'file';

export interface LockOptions {
  /** Default: the platform's (see above). Tests choose 'file' to check the socket-file rules on Linux too. */
  kind?: LockAddressKind;
  /** How long a live holder may take to say who it is before it is reported without a name. */
  answerTimeoutMs?: number;
}

// A contender retries when the holder vanished between its bind and its knock; more than this many such
// turns in a row means something else is going on, and it says so rather than spin.
const ATTEMPTS = 5;
const ANSWER_TIMEOUT_MS = 3_000;
// Unix socket paths hold 104 bytes on macOS (108 on Linux), the terminating NUL included.
const MAX_SOCKET_PATH = 100;

export async function lockDataFolder(dataDir: string, owner: string, options: LockOptions = {}): Promise<DataFolderLock> {
  await fsp.mkdir(dataDir, { recursive: true });
  const address = lockAddress(await fsp.realpath(dataDir), options.kind ?? platformKind());
  const holder: DataFolderOwner = { owner, pid: process.pid, since: Date.now() };
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const server = await listen(address, holder);
    if (server) return heldLock(dataDir, holder, server);
    const found = address.kind === 'file' ? await fileIdentity(address.path) : undefined;
    const answer = await knock(address.path, options.answerTimeoutMs ?? ANSWER_TIMEOUT_MS);
    if (answer.state === 'held') throw inUseError(dataDir, answer.owner);
    if (answer.state === 'dead' && found) await removeStaleSocket(address.path, found);
  }
  throw new EngineError(
    'DATA_FOLDER_IN_USE',
    `Could not take the data folder ${dataDir}: its lock (${address.path.replace('\0', '@')}) kept changing hands. Try again.`,
  );
}

/** The one line a refused second owner shows. */
export function inUseError(dataDir: string, holder: DataFolderOwner | undefined, now = new Date()): EngineError {
  const who = holder
    ? `"${holder.owner}" (pid ${holder.pid}, since ${sinceText(holder.since, now)})`
    : 'another process (it did not say which)';
  return new EngineError(
    'DATA_FOLDER_IN_USE',
    `The data folder ${dataDir} is in use by ${who}. Close it first, or use another data folder (vtc serve --data-dir DIR, or the VTC_DATA_DIR variable).`,
  );
}

function sinceText(since: number, now: Date): string {
  const d = new Date(since);
  const pad = (n: number) => String(n).padStart(2, '0');
  const time = `${pad(d.getHours())}:${pad(d.getMinutes())}`;
  return d.toDateString() === now.toDateString() ? time : `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${time}`;
}

interface LockAddress {
  kind: LockAddressKind;
  path: string;
}

function platformKind(): LockAddressKind {
  if (process.platform === 'win32') return 'pipe';
  return process.platform === 'linux' ? 'abstract' : 'file';
}

function lockAddress(realDataDir: string, kind: LockAddressKind): LockAddress {
  // Windows and macOS folders are case-insensitive by default: one folder, one lock, whatever its case.
  const key = process.platform === 'win32' || process.platform === 'darwin' ? realDataDir.toLowerCase() : realDataDir;
  const name = `vtc-data-${createHash('sha256').update(key).digest('hex').slice(0, 24)}`;
  if (kind === 'abstract') return { kind, path: `\0${name}` };
  if (kind === 'pipe') return { kind, path: `\\\\.\\pipe\\${name}` };
  const inTmp = path.join(os.tmpdir(), `${name}.sock`);
  return { kind, path: Buffer.byteLength(inTmp) <= MAX_SOCKET_PATH ? inTmp : path.join('/tmp', `${name}.sock`) };
}

/** The listening server, or undefined when the address is taken (by a live holder or a dead one's file). */
function listen(address: LockAddress, holder: DataFolderOwner): Promise<net.Server | undefined> {
  return new Promise((resolve, reject) => {
    const server = net.createServer((socket) => {
      socket.on('error', () => undefined); // a contender that hangs up early is no concern of the holder
      socket.end(`${JSON.stringify(holder)}\n`);
    });
    server.once('error', (e: NodeJS.ErrnoException) => (e.code === 'EADDRINUSE' ? resolve(undefined) : reject(e)));
    server.listen(address.path, () => {
      // The lock must not keep a finished process alive; it lives exactly as long as its process or release().
      server.unref();
      resolve(server);
    });
  });
}

function heldLock(dataDir: string, holder: DataFolderOwner, server: net.Server): DataFolderLock {
  let released: Promise<void> | undefined;
  return {
    dataDir,
    holder,
    // Closing the server also removes a socket file (libuv unlinks what it bound).
    release: () => (released ??= new Promise<void>((resolve) => server.close(() => resolve()))),
  };
}

type Answer = { state: 'held'; owner?: DataFolderOwner } | { state: 'dead' } | { state: 'gone' };

/** Connects to the lock's address and reads the holder's answer. */
function knock(address: string, timeoutMs: number): Promise<Answer> {
  return new Promise((resolve) => {
    const socket = net.connect(address);
    let text = '';
    let connected = false;
    const finish = (answer: Answer) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(answer);
    };
    // A holder whose event loop is busy still holds the lock; it just cannot say who it is in time.
    const timer = setTimeout(() => finish({ state: 'held' }), timeoutMs);
    socket.setEncoding('utf8');
    socket.on('connect', () => (connected = true));
    socket.on('data', (chunk: string) => {
      text += chunk;
      if (text.length > 4096) finish({ state: 'held' });
    });
    socket.on('end', () => finish({ state: 'held', owner: parseOwner(text) }));
    socket.on('error', (e: NodeJS.ErrnoException) => {
      if (connected) return finish({ state: 'held', owner: parseOwner(text) });
      if (e.code === 'ECONNREFUSED') return finish({ state: 'dead' });
      if (e.code === 'ENOENT') return finish({ state: 'gone' });
      // Say EACCES on a socket file someone else made: taken all the same, by someone who cannot be named.
      finish({ state: 'held' });
    });
  });
}

function parseOwner(text: string): DataFolderOwner | undefined {
  try {
    const o = JSON.parse(text) as Partial<DataFolderOwner>;
    if (typeof o.owner !== 'string' || !Number.isInteger(o.pid) || !Number.isFinite(o.since)) return undefined;
    // Shown to a person as it is: no control characters, no screenful.
    return { owner: o.owner.replace(/[\p{Cc}]/gu, ' ').slice(0, 80), pid: o.pid!, since: o.since! };
  } catch {
    return undefined;
  }
}

// The inode alone is not enough: ext4 hands a deleted file's inode number to the next file at once.
export type FileIdentity = Pick<BigIntStats, 'dev' | 'ino' | 'birthtimeNs'>;

async function fileIdentity(file: string): Promise<FileIdentity | undefined> {
  try {
    const { dev, ino, birthtimeNs } = await fsp.lstat(file, { bigint: true });
    return { dev, ino, birthtimeNs };
  } catch {
    return undefined;
  }
}

/**
 * Deletes the socket file a dead holder left, and only that: it is renamed aside first (atomic), and what
 * was moved is compared with the file that refused the connection. When another contender replaced it in
 * between, its live socket is linked back where it was.
 */
export async function removeStaleSocket(file: string, dead: FileIdentity): Promise<void> {
  const aside = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.stale`;
  try {
    await fsp.rename(file, aside);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  const moved = await fileIdentity(aside);
  const same = moved !== undefined && moved.dev === dead.dev && moved.ino === dead.ino && moved.birthtimeNs === dead.birthtimeNs;
  // When someone bound the name again meanwhile, the link fails and that one's socket is the lock.
  if (!same) await fsp.link(aside, file).catch(() => undefined);
  await fsp.rm(aside, { force: true });
}
