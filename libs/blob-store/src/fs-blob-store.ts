import { constants, createReadStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat, unlink, FileHandle } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { join, dirname } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { BlobInfo, BlobStore, BlobWriter } from './blob-store.port';

const KEY_RE = /^[A-Za-z0-9-]{1,64}\/[A-Za-z0-9]{4,64}$/;

/**
 * Embedded store: `<root>/objects/<tenant>/<qid[0..2]>/<qid>`. A writer fills a
 * temporary file, fsyncs it, renames it into place and fsyncs the directory, so
 * that an object that exists after commit() survives a power cut.
 */
export class FsBlobStore implements BlobStore {
  private readonly objects: string;
  private readonly tmp: string;
  private readonly knownDirs = new Set<string>();

  constructor(root: string, private readonly fsync = true) {
    this.objects = join(root, 'objects');
    this.tmp = join(root, 'tmp');
  }

  pathOf(key: string): string {
    if (!KEY_RE.test(key)) throw new Error(`invalid blob key ${JSON.stringify(key)}`);
    const [tenant, qid] = key.split('/');
    return join(this.objects, tenant, qid.slice(0, 2), qid);
  }

  createWriter(key: string): BlobWriter {
    const finalPath = this.pathOf(key);
    return new FsBlobWriter(this, finalPath, join(this.tmp, `${randomBytes(8).toString('hex')}.part`), this.fsync);
  }

  openRead(key: string): Readable {
    return createReadStream(this.pathOf(key));
  }

  async stat(key: string): Promise<BlobInfo | null> {
    try {
      const s = await stat(this.pathOf(key));
      return { key, size: s.size, modifiedAt: s.mtime };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    }
  }

  async delete(key: string): Promise<void> {
    try {
      await unlink(this.pathOf(key));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }

  async *list(): AsyncIterable<BlobInfo> {
    let tenants: string[];
    try {
      tenants = await readdir(this.objects);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw e;
    }
    for (const tenant of tenants) {
      for (const shard of await readdir(join(this.objects, tenant)).catch(() => [] as string[])) {
        for (const qid of await readdir(join(this.objects, tenant, shard)).catch(() => [] as string[])) {
          const s = await stat(join(this.objects, tenant, shard, qid)).catch(() => null);
          if (s?.isFile()) yield { key: `${tenant}/${qid}`, size: s.size, modifiedAt: s.mtime };
        }
      }
    }
  }

  async sweepTemporary(olderThanMs: number): Promise<number> {
    let removed = 0;
    const cutoff = Date.now() - olderThanMs;
    for (const name of await readdir(this.tmp).catch(() => [] as string[])) {
      const p = join(this.tmp, name);
      const s = await stat(p).catch(() => null);
      if (s && s.mtimeMs < cutoff) {
        await rm(p, { force: true });
        removed++;
      }
    }
    return removed;
  }

  async checkWritable(): Promise<void> {
    await this.ensureDir(this.tmp);
    const p = join(this.tmp, `probe-${randomBytes(6).toString('hex')}`);
    const fh = await open(p, 'w');
    try {
      await fh.write('ok');
    } finally {
      await fh.close();
      await unlink(p).catch(() => undefined);
    }
  }

  /** @internal */
  async ensureDir(dir: string): Promise<void> {
    if (this.knownDirs.has(dir)) return;
    await mkdir(dir, { recursive: true });
    this.knownDirs.add(dir);
  }

  /** @internal */
  async syncDir(dir: string): Promise<void> {
    if (!this.fsync) return;
    const fh = await open(dir, constants.O_RDONLY);
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  }
}

class FsBlobWriter extends Writable implements BlobWriter {
  private fh: FileHandle | null = null;
  private opening: Promise<FileHandle> | null = null;
  private size = 0;
  private done = false;

  constructor(private readonly store: FsBlobStore, private readonly finalPath: string, private readonly tmpPath: string, private readonly fsync: boolean) {
    super({ highWaterMark: 256 * 1024 });
  }

  private handle(): Promise<FileHandle> {
    if (!this.opening) {
      this.opening = (async () => {
        await this.store.ensureDir(dirname(this.tmpPath));
        this.fh = await open(this.tmpPath, 'wx');
        return this.fh;
      })();
    }
    return this.opening;
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.handle()
      .then(async (fh) => {
        let off = 0;
        while (off < chunk.length) {
          const { bytesWritten } = await fh.write(chunk, off, chunk.length - off);
          off += bytesWritten;
        }
        this.size += chunk.length;
        cb();
      })
      .catch((e) => cb(e as Error));
  }

  override _writev(chunks: { chunk: Buffer }[], cb: (err?: Error | null) => void): void {
    const bufs = chunks.map((c) => c.chunk);
    this.handle()
      .then(async (fh) => {
        const total = bufs.reduce((n, b) => n + b.length, 0);
        let written = 0;
        let pending = bufs;
        while (written < total) {
          const { bytesWritten } = await fh.writev(pending);
          written += bytesWritten;
          if (written < total) pending = [Buffer.concat(bufs).subarray(written)];
        }
        this.size += total;
        cb();
      })
      .catch((e) => cb(e as Error));
  }

  async commit(): Promise<{ size: number }> {
    if (this.done) throw new Error('blob writer already finished');
    if (!this.writableEnded) await new Promise<void>((resolve, reject) => this.end((err?: Error | null) => (err ? reject(err) : resolve())));
    const fh = await this.handle();
    try {
      if (this.fsync) await fh.sync();
    } finally {
      await fh.close();
      this.fh = null;
    }
    const dir = dirname(this.finalPath);
    await this.store.ensureDir(dir);
    await rename(this.tmpPath, this.finalPath);
    await this.store.syncDir(dir);
    this.done = true;
    return { size: this.size };
  }

  async abort(): Promise<void> {
    if (this.done) return;
    this.done = true;
    if (!this.destroyed) this.destroy();
    if (this.fh) await this.fh.close().catch(() => undefined);
    await rm(this.tmpPath, { force: true }).catch(() => undefined);
  }
}
