/**
 * Response headers for an attachment download. The file comes from a
 * stranger, so the browser must never render it in our origin: it is always
 * a download (Content-Disposition: attachment), never sniffed, and types a
 * browser would run or render as a document (HTML, SVG, XML, scripts) are
 * sent as application/octet-stream.
 */
export interface AttachmentHeaders {
  'Content-Type': string;
  'Content-Disposition': string;
  'X-Content-Type-Options': 'nosniff';
  'Content-Security-Policy': string;
  'Cache-Control': string;
}

const MEDIA_TYPE = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$/;
const ACTIVE_TYPES = /(html|xml|svg|javascript|ecmascript|jscript|vbscript|x-shockwave-flash|x-msdownload|x-sh\b|cache-manifest|x-java|mathml|rdf|xsl|pdf-active)/;
const ACTIVE_EXACT = new Set(['text/css', 'text/vtt', 'application/json', 'text/event-stream', 'multipart/x-mixed-replace', 'application/octet-stream']);

/** The Content-Type to send: the part's own type when harmless, else application/octet-stream. */
export function safeContentType(raw: string | null | undefined): string {
  const type = String(raw ?? '').split(';')[0].trim().toLowerCase();
  if (!MEDIA_TYPE.test(type) || ACTIVE_TYPES.test(type) || ACTIVE_EXACT.has(type)) return 'application/octet-stream';
  return type;
}

/**
 * A file name fit for a header and a file system: no control characters,
 * no path (separators become _), no quotes, no leading dots, at most 200
 * characters; `attachment` when nothing is left.
 */
export function safeFilename(raw: string | null | undefined, fallback = 'attachment'): string {
  let name = String(raw ?? '')
    .normalize('NFC')
    .replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, '')
    .replace(/[\\/:*?"<>|;%]/g, '_')
    .replace(/['`]/g, '')
    .trim()
    .replace(/^[.\s]+/, '');
  if ([...name].length > 200) name = [...name].slice(0, 200).join('');
  return name || fallback;
}

/** RFC 6266 / RFC 8187: an ASCII fallback in filename= and the exact name in filename*=UTF-8''. */
export function contentDisposition(raw: string | null | undefined): string {
  const name = safeFilename(raw);
  const ascii = name.replace(/[^\x20-\x7e]/g, '_');
  const encoded = encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}

export function attachmentHeaders(part: { contentType: string | null; filename: string | null }): AttachmentHeaders {
  return {
    'Content-Type': safeContentType(part.contentType),
    'Content-Disposition': contentDisposition(part.filename),
    'X-Content-Type-Options': 'nosniff',
    // Should a browser render it anyway, nothing in it runs or loads.
    'Content-Security-Policy': `default-src 'none'; sandbox`,
    'Cache-Control': 'private, no-store',
  };
}
