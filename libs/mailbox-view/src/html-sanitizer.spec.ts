import { createReadStream, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { BLOCKED_IMAGE_PLACEHOLDER, classifyUrl, contentIdOf, mailDocumentCsp, sanitizeMailHtml } from './html-sanitizer';
import { readMessageBody } from './message-body';

const HOSTILE = join(__dirname, '../../../test/fixtures/hostile');
const fixtures = readdirSync(HOSTILE).filter((f) => f.endsWith('.eml')).sort();

const ALLOWED_TAGS = new Set([
  'a', 'abbr', 'address', 'b', 'big', 'blockquote', 'br', 'caption', 'center', 'cite', 'code', 'col', 'colgroup', 'dd', 'del', 'dfn',
  'div', 'dl', 'dt', 'em', 'figcaption', 'figure', 'font', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'hr', 'i', 'img', 'ins', 'kbd', 'li',
  'mark', 'ol', 'p', 'pre', 'q', 's', 'samp', 'small', 'span', 'strike', 'strong', 'sub', 'sup', 'table', 'tbody', 'td', 'tfoot', 'th',
  'thead', 'tr', 'tt', 'u', 'ul', 'var', 'wbr', 'section', 'article', 'header', 'footer', 'main', 'aside', 'details', 'summary', 'time', 'label',
]);

interface Tag { name: string; attrs: Record<string, string> }

/**
 * The sanitizer writes normalised markup (every attribute double-quoted,
 * `<` in text escaped), so every `<` in its output must open or close a tag
 * this tokenizer reads; anything else fails the test.
 */
function tagsOf(html: string): Tag[] {
  const tags: Tag[] = [];
  const tag = /<(\/?)([a-zA-Z][a-zA-Z0-9]*)((?:\s+[^\s"'>/=]+(?:="[^"]*")?)*)\s*\/?>/g;
  let consumed = 0;
  for (const m of html.matchAll(tag)) {
    consumed++;
    if (m[1]) continue;
    const attrs: Record<string, string> = {};
    for (const a of m[3].matchAll(/\s+([^\s"'>/=]+)(?:="([^"]*)")?/g)) attrs[a[1].toLowerCase()] = decode(a[2] ?? '');
    tags.push({ name: m[2].toLowerCase(), attrs });
  }
  expect((html.match(/</g) ?? []).length).toBe(consumed);
  return tags;
}

function decode(v: string): string {
  return v.replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&#x?[0-9a-f]+;/gi, '\u0000').replace(/&amp;/g, '&');
}

async function htmlOf(file: string): Promise<{ html: string; inline: Map<string, { contentType: string; content: Buffer }> }> {
  const body = await readMessageBody(createReadStream(join(HOSTILE, file)), { timeoutMs: 10_000, collectInlineImages: true, maxInlineImageBytes: 1024 * 1024 });
  return { html: body.html ?? '', inline: body.inlineImages };
}

/** The markup only: text between tags may mention anything (it is escaped and inert). */
function markupOf(html: string): string {
  return html.replace(/>[^<]*</g, '><').replace(/^[^<]*|[^>]*$/g, '');
}

function assertHarmless(out: string, remoteAllowed: boolean): void {
  const markup = markupOf(out);
  expect(markup).not.toMatch(/__pwned/);
  expect(markup).not.toMatch(/javascript|vbscript|expression\s*\(|behaviou?r\s*:|-moz-binding|@import|url\s*\(/i);
  if (!remoteAllowed) expect(markup).not.toMatch(/evil\.invalid/i);
  // Text is escaped: no raw tag can come out of it.
  expect(out.replace(/<\/?[a-z][a-z0-9]*(\s+[a-z-]+(="[^"]*")?)*\s*\/?>/gi, '')).not.toMatch(/[<>]/);
  for (const t of tagsOf(out)) {
    expect(ALLOWED_TAGS.has(t.name) ? t.name : `forbidden <${t.name}>`).toBe(t.name);
    for (const [name, value] of Object.entries(t.attrs)) {
      expect(name.startsWith('on') ? `handler ${name}` : name).toBe(name);
      expect(['srcset', 'background', 'poster', 'formaction', 'action', 'lowsrc', 'dynsrc', 'xlink:href', 'srcdoc', 'http-equiv'].includes(name) ? `attribute ${name}` : name).toBe(name);
      if (name === 'href') expect(value).toMatch(/^(https?:\/\/[^/\\]|mailto:)/i);
      if (name === 'src') {
        if (remoteAllowed && /^https?:/i.test(value)) continue;
        expect(value).toMatch(/^data:image\/(png|gif|jpeg|webp|bmp);base64,[A-Za-z0-9+/=]+$/);
      }
      if (name === 'style') expect(value).not.toMatch(/[\\]|url|expression|import|binding|behavio/i);
    }
  }
}

describe('sanitizeMailHtml over the hostile corpus', () => {
  it('has the corpus', () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(14);
  });

  for (const file of fixtures) {
    it(`${file}: nothing runs, submits, navigates or loads remotely when images are blocked`, async () => {
      const { html, inline } = await htmlOf(file);
      const out = sanitizeMailHtml(html, { allowRemoteImages: false, inlineImages: inline }).html;
      assertHarmless(out, false);
    });

    it(`${file}: with images allowed, remote URLs appear only as <img src>`, async () => {
      const { html, inline } = await htmlOf(file);
      const out = sanitizeMailHtml(html, { allowRemoteImages: true, inlineImages: inline }).html;
      assertHarmless(out.replace(/<img([^>]*?) src="https?:\/\/[^"]*"/gi, '<img$1'), false);
      for (const t of tagsOf(out)) for (const [k, v] of Object.entries(t.attrs)) if (/evil\.invalid/i.test(v)) expect(`${t.name} ${k}`).toBe('img src');
    });
  }

  it('keeps the legitimate content: text, safe links, colours, inline images', async () => {
    const links = sanitizeMailHtml((await htmlOf('javascript-urls.eml')).html, { allowRemoteImages: false }).html;
    expect(links).toContain('<a href="https://example.com/ok" target="_blank" rel="noopener noreferrer">fine link</a>');
    expect(links).toContain('href="mailto:erika@example.com"');
    const css = sanitizeMailHtml((await htmlOf('css-expressions.eml')).html, { allowRemoteImages: false }).html;
    expect(css).toMatch(/<p style="color:#336699;font-weight:bold">Quarterly figures<\/p>/);
    const news = await htmlOf('remote-images.eml');
    const blocked = sanitizeMailHtml(news.html, { allowRemoteImages: false, inlineImages: news.inline });
    expect(blocked.html).toContain('alt="inline logo" src="data:image/png;base64,iVBORw0KGgo');
    expect(blocked.html).toContain(`src="${BLOCKED_IMAGE_PLACEHOLDER}"`);
    expect(blocked.remoteImages).toBe(4);
    const nested = sanitizeMailHtml((await htmlOf('nested-encodings.eml')).html, { allowRemoteImages: false }).html;
    expect(nested).toContain('Grüße aus München');
  });

  it('counts remote images the same whether blocked or allowed, and loads them only when allowed', async () => {
    const news = await htmlOf('remote-images.eml');
    const allowed = sanitizeMailHtml(news.html, { allowRemoteImages: true, inlineImages: news.inline });
    expect(allowed.remoteImages).toBe(4);
    expect(allowed.html).toContain('src="https://evil.invalid/logo.png"');
    expect(allowed.html).toContain('src="http://evil.invalid/pixel.gif"');
    expect(allowed.html).not.toContain('protocol-relative');
    expect(allowed.html).not.toMatch(/table-bg|td-bg|poster|lowsrc|dynsrc/);
  });
});

describe('classifyUrl', () => {
  it.each([
    ['https://example.com/a', 'http'],
    [' HTTP://example.com', 'http'],
    ['java\tscript:alert(1)', 'other'],
    ['\u000ejavascript:x', 'other'],
    ['//evil.invalid/x', 'other'],
    ['http:\\\\evil.invalid', 'other'],
    ['mailto:a@b.example', 'mailto'],
    ['cid:part1@x', 'cid'],
    ['data:image/png;base64,AAAA', 'data-image'],
    ['data:image/svg+xml;base64,AAAA', 'other'],
    ['data:text/html,<script>', 'other'],
    ['relative/path', 'other'],
  ])('%j is %s', (url, kind) => {
    expect(classifyUrl(url)).toBe(kind);
  });

  it('reads a cid: URL as the Content-ID it names', () => {
    expect(contentIdOf('cid:Logo%40Example.com')).toBe('logo@example.com');
    expect(contentIdOf('CID:<a@b>')).toBe('a@b');
  });
});

describe('mailDocumentCsp', () => {
  it('never allows scripts, and allows remote images only when asked', () => {
    const blocked = mailDocumentCsp(false);
    expect(blocked).toContain("default-src 'none'");
    expect(blocked).toMatch(/img-src 'self' data:;/);
    expect(blocked).toMatch(/(^|; )sandbox( |;|$)/);
    expect(blocked).not.toMatch(/script-src|allow-scripts|allow-forms|allow-top-navigation|allow-modals/);
    // Same origin only so the webmail can measure the frame; without allow-scripts nothing in it can use that.
    expect(blocked).toMatch(/; sandbox allow-same-origin allow-popups allow-popups-to-escape-sandbox$/);
    expect(mailDocumentCsp(true)).toMatch(/img-src 'self' data: https: http:;/);
  });
});
