import sanitizeHtml from 'sanitize-html';

/**
 * HTML mail made safe to show: what is left is formatting, links that open
 * outside, and images. Everything that runs, submits, navigates the frame,
 * loads other documents or leaks the reader to a third party is removed:
 * scripts, event handlers, javascript:/vbscript:/data: links, forms, meta
 * refresh, base, frames, objects, SVG and MathML, style sheets (with their
 * @import and url()), srcset and background attributes. Remote images are
 * replaced by a transparent placeholder unless the reader allowed them;
 * `cid:` images are embedded from the message as data: URIs (image types
 * only), so the frame never needs the reader's session.
 *
 * Pure: the served document also carries a CSP that forbids scripts and
 * remote loads, so a mistake here is the second line failing, not the only.
 */
export interface SanitizeOptions {
  /** Load http(s) images as they are (the reader asked to). */
  allowRemoteImages: boolean;
  /** Inline parts by Content-ID (without angle brackets, lower-cased). */
  inlineImages?: Map<string, { contentType: string; content: Buffer }>;
  /** Embedded images above this many bytes (each) are left out. */
  maxInlineImageBytes?: number;
}

export interface SanitizedHtml {
  /** The body's markup, safe to place inside our own document. */
  html: string;
  /** Remote images present in the message (blocked unless allowed). */
  remoteImages: number;
}

/** A 1×1 transparent GIF: what a blocked remote image becomes. */
export const BLOCKED_IMAGE_PLACEHOLDER = 'data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7';

const INLINE_IMAGE_TYPES = /^image\/(png|gif|jpeg|jpg|webp|bmp)$/i;
const DATA_IMAGE_URL = /^data:image\/(png|gif|jpeg|jpg|webp|bmp);base64,[a-z0-9+/=\s]+$/i;
const DEFAULT_MAX_INLINE_IMAGE_BYTES = 5 * 1024 * 1024;

const ALLOWED_TAGS = [
  'a', 'abbr', 'address', 'b', 'big', 'blockquote', 'br', 'caption', 'center', 'cite', 'code', 'col', 'colgroup',
  'dd', 'del', 'dfn', 'div', 'dl', 'dt', 'em', 'figcaption', 'figure', 'font', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6',
  'hr', 'i', 'img', 'ins', 'kbd', 'li', 'mark', 'ol', 'p', 'pre', 'q', 's', 'samp', 'small', 'span', 'strike',
  'strong', 'sub', 'sup', 'table', 'tbody', 'td', 'tfoot', 'th', 'thead', 'tr', 'tt', 'u', 'ul', 'var', 'wbr',
  'section', 'article', 'header', 'footer', 'main', 'aside', 'details', 'summary', 'time', 'label',
];

/** Dropped with everything inside them (not just the tag). */
const DROPPED_WITH_CONTENT = [
  'script', 'style', 'textarea', 'option', 'select', 'noscript', 'title', 'head', 'svg', 'math', 'iframe', 'frame',
  'frameset', 'object', 'embed', 'applet', 'template', 'xmp', 'noembed', 'noframes', 'button', 'datalist', 'canvas',
  'audio', 'video', 'plaintext', 'xml', 'style', 'link', 'meta', 'base',
];

const COMMON_ATTRIBUTES = ['style', 'title', 'dir', 'lang', 'align', 'valign', 'width', 'height', 'bgcolor'];

const ALLOWED_ATTRIBUTES: Record<string, string[]> = {
  '*': COMMON_ATTRIBUTES,
  a: ['href', 'name', 'target', 'rel'],
  img: ['src', 'alt', 'border', 'hspace', 'vspace'],
  font: ['face', 'size', 'color'],
  table: ['border', 'cellpadding', 'cellspacing', 'summary'],
  td: ['colspan', 'rowspan', 'nowrap'],
  th: ['colspan', 'rowspan', 'nowrap', 'scope'],
  col: ['span'],
  colgroup: ['span'],
  ol: ['start', 'type', 'reversed'],
  ul: ['type'],
  li: ['value'],
  time: ['datetime'],
  blockquote: ['cite'],
  q: ['cite'],
  del: ['cite', 'datetime'],
  ins: ['cite', 'datetime'],
};

/**
 * A declaration's value is kept only when it cannot load anything or run
 * anything: no url(), image-set(), expression(), javascript, behavior,
 * -moz-binding, @import, CSS escapes (which could spell any of those) or
 * comments.
 */
const SAFE_CSS_VALUE = /^(?!.*(?:url\s*\(|image-set|image\s*\(|expression|javascript|vbscript|behaviou?r|binding|@import|\\|\/\*|\*\/|[<>{}])).{0,500}$/is;

const STYLE_PROPERTIES = [
  'color', 'background-color', 'background', 'font', 'font-family', 'font-size', 'font-style', 'font-weight', 'font-variant',
  'text-align', 'text-decoration', 'text-indent', 'text-transform', 'line-height', 'letter-spacing', 'word-spacing',
  'white-space', 'vertical-align', 'direction', 'word-break', 'word-wrap', 'overflow-wrap',
  'margin', 'margin-top', 'margin-right', 'margin-bottom', 'margin-left',
  'padding', 'padding-top', 'padding-right', 'padding-bottom', 'padding-left',
  'border', 'border-top', 'border-right', 'border-bottom', 'border-left', 'border-color', 'border-style', 'border-width',
  'border-collapse', 'border-spacing', 'border-radius',
  'width', 'height', 'max-width', 'min-width', 'max-height', 'min-height',
  'display', 'float', 'clear', 'list-style-type', 'table-layout', 'text-overflow', 'overflow',
];

const ALLOWED_STYLES: Record<string, RegExp[]> = Object.fromEntries(STYLE_PROPERTIES.map((p) => [p, [SAFE_CSS_VALUE]]));

/** What a URL in an attribute is, after the browser's own leniency (entities are already decoded by the parser). */
export function classifyUrl(raw: string): 'http' | 'mailto' | 'cid' | 'data-image' | 'other' {
  // Browsers ignore ASCII whitespace and control characters inside a scheme: "java\tscript:".
  const compact = raw.replace(/[\u0000-\u0020\u007f-\u009f\u00ad\u200b-\u200f\u2028\u2029\ufeff]/g, '').toLowerCase();
  if (/^https?:\/\/[^/\\]/.test(compact)) return 'http';
  if (compact.startsWith('mailto:')) return 'mailto';
  if (compact.startsWith('cid:')) return 'cid';
  if (DATA_IMAGE_URL.test(raw.trim())) return 'data-image';
  return 'other';
}

export function sanitizeMailHtml(input: string, opts: SanitizeOptions): SanitizedHtml {
  let remoteImages = 0;
  const maxInline = opts.maxInlineImageBytes ?? DEFAULT_MAX_INLINE_IMAGE_BYTES;
  const html = sanitizeHtml(input, {
    allowedTags: ALLOWED_TAGS,
    allowedAttributes: ALLOWED_ATTRIBUTES,
    allowedStyles: { '*': ALLOWED_STYLES },
    nonTextTags: DROPPED_WITH_CONTENT,
    disallowedTagsMode: 'discard',
    allowedSchemes: [],
    allowedSchemesByTag: { a: ['http', 'https', 'mailto'], img: ['http', 'https', 'data'] },
    allowedSchemesAppliedToAttributes: ['href', 'src', 'cite', 'action', 'formaction', 'background', 'poster', 'srcset', 'xlink:href'],
    allowProtocolRelative: false,
    allowVulnerableTags: false,
    transformTags: {
      a: (tagName, attribs) => {
        const out: Record<string, string> = { ...attribs };
        const kind = attribs.href === undefined ? null : classifyUrl(attribs.href);
        if (kind === 'http' || kind === 'mailto') {
          out.href = attribs.href.trim();
          out.target = '_blank';
          out.rel = 'noopener noreferrer';
        } else {
          delete out.href;
          delete out.target;
          delete out.rel;
        }
        return { tagName, attribs: out };
      },
      img: (tagName, attribs) => {
        const out: Record<string, string> = { ...attribs };
        const src = attribs.src ?? '';
        const kind = classifyUrl(src);
        delete out.src;
        if (kind === 'http') {
          remoteImages++;
          out.src = opts.allowRemoteImages ? src.trim() : BLOCKED_IMAGE_PLACEHOLDER;
        } else if (kind === 'cid') {
          const part = opts.inlineImages?.get(contentIdOf(src));
          if (part && INLINE_IMAGE_TYPES.test(part.contentType) && part.content.length <= maxInline) {
            out.src = `data:${part.contentType.toLowerCase()};base64,${part.content.toString('base64')}`;
          }
        } else if (kind === 'data-image' && src.length <= maxInline * 1.4) {
          out.src = src.trim().replace(/\s+/g, '');
        }
        return { tagName, attribs: out };
      },
    },
    // Shared parser option: entities in attributes decoded before the checks above.
    parser: { decodeEntities: true, lowerCaseAttributeNames: true },
  });
  return { html, remoteImages };
}

/** `cid:Part.1@x` → `part.1@x` (the Content-ID as stored, brackets removed, lower case). */
export function contentIdOf(cidUrl: string): string {
  let v = cidUrl.trim().replace(/^cid:/i, '');
  try {
    v = decodeURIComponent(v);
  } catch {
    /* kept as written */
  }
  return v.replace(/^<|>$/g, '').toLowerCase();
}

/**
 * The document served to the reading frame: the sanitized body inside our
 * own minimal page (UTF-8, no referrer, images scaled to the frame).
 */
export function mailDocument(bodyHtml: string): string {
  return (
    '<!doctype html><html><head><meta charset="utf-8"><meta name="referrer" content="no-referrer">' +
    '<style>body{margin:8px;font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;font-size:14px;' +
    'line-height:1.45;color:#1f2328;overflow-wrap:anywhere}img{max-width:100%;height:auto}table{max-width:100%}' +
    'pre{white-space:pre-wrap}blockquote{margin:0 0 0 .8ex;border-left:2px solid #ccc;padding-left:1ex}</style>' +
    `</head><body>${bodyHtml}</body></html>`
  );
}

/**
 * The Content-Security-Policy of that document: no scripts ever, no loads but images we embedded (or remote ones when
 * allowed). The sandbox is the frame's (MAIL_FRAME_SANDBOX in the web app, where each flag is argued): never
 * allow-scripts; allow-same-origin only so that the webmail page can measure the document's height, which without
 * scripts grants the document nothing.
 */
export function mailDocumentCsp(allowRemoteImages: boolean): string {
  return [
    `default-src 'none'`,
    `img-src 'self' data:${allowRemoteImages ? ' https: http:' : ''}`,
    `style-src 'unsafe-inline'`,
    `font-src 'none'`,
    `form-action 'none'`,
    `base-uri 'none'`,
    `frame-ancestors 'self'`,
    `sandbox allow-same-origin allow-popups allow-popups-to-escape-sandbox`,
  ].join('; ');
}
