import { closedPage, escapeHtml, linkConfirmPage, setPasswordPage, signinPage } from './signin-pages';

describe('sign-in pages', () => {
  it('escape what they show', () => {
    expect(escapeHtml(`<a href="x">'&`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;');
    expect(linkConfirmPage('"><script>')).not.toContain('<script>');
    expect(setPasswordPage('en', { address: '<b>@x', csrf: 'c', brand: { brandName: '<i>Acme' } })).not.toMatch(/<b>|<i>/);
  });

  it('ask for a click (a POST) before using a link, with the form token', () => {
    const html = linkConfirmPage('tok', 'en', 'csrf-value');
    expect(html).toContain('method="post"');
    expect(html).toContain('value="tok"');
    expect(html).toContain('name="_csrf" value="csrf-value"');
  });

  it('carry no script, and every form its CSRF field', () => {
    const html = signinPage('en', { csrf: 'abc' });
    expect(html).not.toMatch(/<script/i);
    expect(html.match(/<form /g)).toHaveLength(3);
    expect(html.match(/name="_csrf" value="abc"/g)).toHaveLength(3);
    expect(html).toContain('action="/signin/password"');
    expect(html).toContain('action="/signin/request"');
  });

  it('speak German for German tenants', () => {
    expect(signinPage('de', { csrf: 'x' })).toContain('Neuen Code senden');
    expect(setPasswordPage('de', { address: 'a@b.example', csrf: 'x' })).toContain('Passwort festlegen');
    expect(closedPage('de')).toContain('nur während eines Ausfalls');
    expect(closedPage('en')).toContain('only open during an outage');
  });

  it('show the tenant logo only as a data URL of an image, and a colour only as #rrggbb', () => {
    const ok = closedPage('en', { logoDataUrl: 'data:image/png;base64,iVBORw0KGgo=', primaryColor: '#112233', brandName: 'Acme' });
    expect(ok).toContain('src="data:image/png;base64,iVBORw0KGgo="');
    expect(ok).toContain('#112233');
    const bad = closedPage('en', { logoDataUrl: 'javascript:alert(1)', primaryColor: 'red;}body{x' });
    expect(bad).not.toContain('javascript:');
    expect(bad).not.toContain('red;}');
  });
});
