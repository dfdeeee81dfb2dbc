import { PassThrough, Readable } from 'node:stream';
import { BlobReadError, DEFAULT_PARSE_LIMITS, parseMessage, UnparseableMessageError } from './parse-message';

const crlf = (s: string): Buffer => Buffer.from(s.replace(/\r?\n/g, '\r\n'));

function chunked(buf: Buffer, size = 7): Readable {
  const parts: Buffer[] = [];
  for (let i = 0; i < buf.length; i += size) parts.push(buf.subarray(i, i + size));
  return Readable.from(parts);
}

describe('parseMessage', () => {
  it('counts attachment sizes from the stream and lists them without their content', async () => {
    const payload = Buffer.alloc(10_000, 0x41);
    const raw = crlf(`From: a@x.example\nSubject: s\nContent-Type: multipart/mixed; boundary=B\n\n--B\nContent-Type: text/plain\n\nhi\n--B\nContent-Type: application/octet-stream\nContent-Disposition: attachment; filename="a.bin"\nContent-Transfer-Encoding: base64\n\n${payload.toString('base64').replace(/(.{76})/g, '$1\n')}\n--B--\n`);
    const r = await parseMessage(chunked(raw, 1000));
    expect(r.attachments).toEqual([{ filename: 'a.bin', contentType: 'application/octet-stream', size: 10_000, contentId: null, inline: false }]);
    expect(r.bodyText).toContain('hi');
  });

  it('reads a date the parser would have replaced by now as missing', async () => {
    const r = await parseMessage(chunked(crlf('From: a@x.example\nDate: yesterday-ish\nSubject: s\n\nbody\n')));
    expect(r.date).toBeNull();
  });

  it('calls input without any header unparseable', async () => {
    await expect(parseMessage(Readable.from([Buffer.from([0, 1, 2, 0xff, 0, 10, 13, 10, 0])]))).rejects.toBeInstanceOf(UnparseableMessageError);
  });

  it('calls a header block beyond the limit unparseable', async () => {
    const raw = crlf(`From: a@x.example\nX-Big: ${'a'.repeat(70_000)}\n\nbody\n`);
    await expect(parseMessage(chunked(raw, 4096), { ...DEFAULT_PARSE_LIMITS, maxHeadBytes: 64 * 1024 })).rejects.toThrow(/header/i);
  });

  it('gives up after the time limit on a source that never ends', async () => {
    const src = new PassThrough();
    src.write(crlf('From: a@x.example\nSubject: s\n\nbody that goes on'));
    await expect(parseMessage(src, { ...DEFAULT_PARSE_LIMITS, timeoutMs: 100 })).rejects.toThrow(/longer than 100 ms/);
    expect(src.destroyed).toBe(true);
  });

  it('reports a failing source as a read error, not as a bad message', async () => {
    const src = new PassThrough();
    setImmediate(() => src.destroy(new Error('EIO')));
    await expect(parseMessage(src)).rejects.toBeInstanceOf(BlobReadError);
  });

  it('reads only the headers when asked, and stops reading', async () => {
    let pulled = 0;
    const head = crlf('From: Big <big@x.example>\nSubject: large\n\n');
    const src = new Readable({
      read() {
        pulled++;
        this.push(pulled === 1 ? head : Buffer.alloc(64 * 1024, 0x61));
      },
    });
    const r = await parseMessage(src, { ...DEFAULT_PARSE_LIMITS, headersOnly: true });
    expect(r.subject).toBe('large');
    expect(r.from).toEqual([{ name: 'Big', address: 'big@x.example' }]);
    expect(r.attachments).toBeNull();
    expect(r.note).toMatch(/only headers/);
    expect(src.destroyed).toBe(true);
  });

  it('caps the search text of a long body', async () => {
    const r = await parseMessage(chunked(crlf(`From: a@x.example\nSubject: s\n\n${'wort '.repeat(100_000)}\n`), 65536), { ...DEFAULT_PARSE_LIMITS, maxBodyTextBytes: 1000 });
    expect(Buffer.byteLength(r.bodyText as string)).toBeLessThanOrEqual(1000);
  });
});
