import type { Readable } from 'node:stream';
import type { BlobStore, BlobWriter } from '@app/blob-store';

/** One message being written: its blob and the trace header that goes before the client's bytes. */
export interface IngestTarget {
  key: string;
  writer: BlobWriter;
  prefix: Buffer;
}

export type IngestResult =
  | { kind: 'complete' }
  | { kind: 'too_big' }
  | { kind: 'store_failed'; error: Error }
  | { kind: 'client_gone'; error: Error };

/** The DATA stream as smtp-server hands it over: `sizeExceeded` turns true once the limit is passed. */
export type DataStream = Readable & { sizeExceeded?: boolean; byteLength?: number };

/**
 * Copies the DATA stream into every target's writer (one per tenant of the
 * transaction), with back-pressure: the stream pauses until every writer has
 * drained, so memory stays bounded whatever the message size. The stream is
 * always read to its end — smtp-server answers only then — but writing stops
 * at the first store error or once the size limit is passed.
 */
export function streamIntoBlobs(stream: DataStream, targets: IngestTarget[]): Promise<IngestResult> {
  return new Promise<IngestResult>((resolve) => {
    let storeError: Error | null = null;
    let tooBig = false;
    let waiting = 0;
    let finished = false;
    const finish = (r: IngestResult) => {
      if (finished) return;
      finished = true;
      resolve(r);
    };
    const writing = () => !storeError && !tooBig;
    const onDrain = () => {
      waiting = Math.max(0, waiting - 1);
      if (waiting === 0 && stream.isPaused()) stream.resume();
    };
    for (const t of targets) {
      t.writer.on('error', (e: Error) => {
        storeError ??= e;
        waiting = 0;
        if (stream.isPaused()) stream.resume();
      });
      t.writer.write(t.prefix);
    }
    stream.on('data', (chunk: Buffer) => {
      if (!writing()) return;
      if (stream.sizeExceeded) {
        tooBig = true; // keep reading to the end, write nothing more
        return;
      }
      for (const t of targets) {
        if (!t.writer.write(chunk)) {
          waiting++;
          t.writer.once('drain', onDrain);
        }
      }
      if (waiting > 0) stream.pause();
    });
    stream.once('end', () => {
      if (tooBig || stream.sizeExceeded) finish({ kind: 'too_big' });
      else if (storeError) finish({ kind: 'store_failed', error: storeError });
      else finish({ kind: 'complete' });
    });
    stream.once('error', (e: Error) => finish({ kind: 'client_gone', error: e }));
    stream.once('close', () => finish({ kind: 'client_gone', error: new Error('DATA stream closed before its end') }));
  });
}

/** Makes every blob durable; if any fails, none is kept. */
export async function commitAll(store: BlobStore, targets: IngestTarget[]): Promise<number[]> {
  const results = await Promise.allSettled(targets.map((t) => t.writer.commit()));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) {
    await discardAll(store, targets);
    throw failed.reason instanceof Error ? failed.reason : new Error(String(failed.reason));
  }
  return results.map((r) => (r as PromiseFulfilledResult<{ size: number }>).value.size);
}

/** Removes partial and committed blobs of a message that will not be acknowledged; best-effort. */
export async function discardAll(store: BlobStore, targets: IngestTarget[]): Promise<void> {
  await Promise.all(
    targets.map(async (t) => {
      await t.writer.abort().catch(() => undefined);
      await store.delete(t.key).catch(() => undefined);
    }),
  );
}
