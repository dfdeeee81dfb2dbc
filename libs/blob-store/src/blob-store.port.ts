import { Readable, Writable } from 'node:stream';

/** A message body being written; nothing is visible under its key until commit() resolves. */
export interface BlobWriter extends Writable {
  /** Flushes to stable storage and publishes the object under its key. */
  commit(): Promise<{ size: number }>;
  /** Discards the partial object; safe to call more than once and after a failed commit. */
  abort(): Promise<void>;
}

export interface BlobInfo { key: string; size: number; modifiedAt: Date }

export interface BlobStore {
  createWriter(key: string): BlobWriter;
  openRead(key: string): Readable;
  stat(key: string): Promise<BlobInfo | null>;
  delete(key: string): Promise<void>;
  /** Every committed object, for the orphan sweep. */
  list(): AsyncIterable<BlobInfo>;
  /** Removes temporary files of writers that never committed (a crash mid-DATA). */
  sweepTemporary(olderThanMs: number): Promise<number>;
  /** Fails if the store cannot take a write now (readiness). */
  checkWritable(): Promise<void>;
}

export const BLOB_STORE = Symbol('BLOB_STORE');

export function blobKey(tenantId: string, queueId: string): string {
  return `${tenantId}/${queueId}`;
}

/**
 * The start of a stored message up to the end of its header (or `limit`
 * bytes), without reading the rest. A missing or unreadable blob gives what
 * was read so far, possibly nothing: callers use the head for reports.
 */
export function readBlobHead(store: BlobStore, key: string, limit: number): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const s = store.openRead(key);
    const done = () => resolve(Buffer.concat(chunks));
    s.on('data', (c: Buffer) => {
      chunks.push(c);
      size += c.length;
      if (size >= limit || c.includes('\r\n\r\n') || c.includes('\n\n')) {
        s.destroy();
        done();
      }
    });
    s.on('end', done);
    s.on('error', done);
  });
}
