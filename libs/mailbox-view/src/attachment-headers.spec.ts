import { attachmentHeaders, contentDisposition, safeContentType, safeFilename } from './attachment-headers';

describe('attachment download headers', () => {
  it.each([
    ['application/pdf', 'application/pdf'],
    ['IMAGE/PNG; name="x.png"', 'image/png'],
    ['text/plain; charset=utf-8', 'text/plain'],
    ['text/html', 'application/octet-stream'],
    ['application/xhtml+xml', 'application/octet-stream'],
    ['image/svg+xml', 'application/octet-stream'],
    ['text/xml', 'application/octet-stream'],
    ['application/javascript', 'application/octet-stream'],
    ['text/javascript', 'application/octet-stream'],
    ['text/css', 'application/octet-stream'],
    ['multipart/x-mixed-replace', 'application/octet-stream'],
    ['text/plain\r\nX-Injected: 1', 'application/octet-stream'],
    ['', 'application/octet-stream'],
    [null, 'application/octet-stream'],
  ])('Content-Type for %j is %s', (raw, type) => {
    expect(safeContentType(raw)).toBe(type);
  });

  it('strips control characters, path separators and quotes from file names', () => {
    const evil = '../../<script>__pwned(\'name\')</script>\r\nX-Injected: 1";.html';
    const name = safeFilename(evil);
    expect(name).not.toMatch(/[\u0000-\u001f"/\\<>;]/);
    expect(name).not.toMatch(/^\./);
    expect(name.endsWith('.html')).toBe(true);
    expect(safeFilename('Rechnung \u202efdp.exe')).toBe('Rechnung fdp.exe');
    expect(safeFilename('...')).toBe('attachment');
    expect(safeFilename(null)).toBe('attachment');
    expect([...safeFilename('x'.repeat(500))].length).toBe(200);
  });

  it('gives an ASCII filename= and the exact UTF-8 name in filename*= (RFC 6266)', () => {
    expect(contentDisposition('Grüße aus München.pdf')).toBe(
      `attachment; filename="Gr__e aus M_nchen.pdf"; filename*=UTF-8''Gr%C3%BC%C3%9Fe%20aus%20M%C3%BCnchen.pdf`,
    );
    expect(contentDisposition("it's (1).txt")).toBe(`attachment; filename="its (1).txt"; filename*=UTF-8''its%20%281%29.txt`);
    const d = contentDisposition('a"b\r\nSet-Cookie: x=1');
    expect(d).not.toMatch(/[\r\n]/);
    expect(d.split('"').length).toBe(3);
  });

  it('always downloads, never sniffs, never runs', () => {
    const h = attachmentHeaders({ contentType: 'text/html', filename: 'x.html' });
    expect(h['Content-Type']).toBe('application/octet-stream');
    expect(h['Content-Disposition'].startsWith('attachment;')).toBe(true);
    expect(h['X-Content-Type-Options']).toBe('nosniff');
    expect(h['Content-Security-Policy']).toContain("default-src 'none'");
  });
});
