import { stripNul, truncateChars } from './text-limits';

export const SNIPPET_CHARS = 200;

/**
 * The one-line preview the webmail lists beside the subject: whitespace
 * collapsed, quoted lines of earlier mail left out (unless that is all there
 * is), cut at a word boundary near `maxChars`.
 */
export function makeSnippet(text: string | null | undefined, maxChars = SNIPPET_CHARS): string | null {
  if (!text) return null;
  // Only the head of a long body can reach the preview; don't scan megabytes.
  const head = stripNul(text.slice(0, maxChars * 40));
  const lines = head.split(/\r?\n/);
  const own = lines.filter((l) => !/^\s*>/.test(l));
  const chosen = own.some((l) => l.trim()) ? own : lines;
  // eslint-disable-next-line no-control-regex
  const flat = chosen.join(' ').replace(/[\u0000-\u001f\u007f\u00a0\u200b\ufeff]/g, ' ').replace(/\s+/g, ' ').trim();
  if (!flat) return null;
  if (flat.length <= maxChars) return flat;
  const cut = truncateChars(flat, maxChars);
  const space = cut.lastIndexOf(' ');
  return (space > maxChars * 0.6 ? cut.slice(0, space) : cut).trimEnd() + '…';
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };

/**
 * Rough text of HTML for when MailParser's own conversion gave up (an HTML part
 * beyond its length limit): tags, scripts and styles dropped, common entities
 * decoded. Good enough for a snippet and search words, not for display.
 */
export function roughHtmlText(html: string, maxChars: number): string {
  return html
    .slice(0, maxChars * 4)
    .replace(/<(script|style|head)\b[\s\S]*?<\/\1\s*>/gi, ' ')
    .replace(/<br\s*\/?>|<\/(p|div|li|tr|h[1-6])\s*>/gi, '\n')
    .replace(/<[^>]*>/g, ' ')
    .replace(/&(#x?[0-9a-f]+|[a-z]+);/gi, (m, e: string) => {
      if (e[0] === '#') {
        const cp = e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
        return Number.isFinite(cp) && cp > 0 && cp <= 0x10ffff ? String.fromCodePoint(cp) : ' ';
      }
      return ENTITIES[e.toLowerCase()] ?? m;
    })
    .replace(/[ \t]+/g, ' ')
    .slice(0, maxChars);
}
