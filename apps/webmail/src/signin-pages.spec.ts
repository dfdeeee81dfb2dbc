import { acceptedPage, escapeHtml, linkConfirmPage } from './signin-pages';

describe('sign-in pages', () => {
  it('escape what they show', () => {
    expect(escapeHtml(`<a href="x">'&`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;');
    expect(linkConfirmPage('"><script>')).not.toContain('<script>');
  });

  it('ask for a click (a POST) before using a link', () => {
    const html = linkConfirmPage('tok');
    expect(html).toContain('method="post"');
    expect(html).toContain('value="tok"');
  });

  it('say plainly that the webmail itself is not there yet', () => {
    expect(acceptedPage('a@b.example')).toContain('not available yet');
  });
});
