/** The few pages of the sign-in flow, as plain HTML (no scripts, works on any phone). */

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>${escapeHtml(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:28rem;margin:2rem auto;padding:0 1rem;line-height:1.4}
input,button{font-size:1rem;padding:.5rem;width:100%;box-sizing:border-box;margin:.25rem 0}button{cursor:pointer}</style>
</head><body><h1>${escapeHtml(title)}</h1>
${body}
</body></html>`;
}

/** The link from the text opens this: nothing happens until the button is pressed (link previews only GET). */
export function linkConfirmPage(token: string): string {
  return page(
    'Sign in to your webmail',
    `<p>Press the button to use your one-time sign-in link. It works once.</p>
<form method="post" action="/signin/link"><input type="hidden" name="t" value="${escapeHtml(token)}"><button type="submit">Sign in</button></form>`,
  );
}

export function signinPage(): string {
  return page(
    'Webmail sign-in',
    `<h2>Enter your code</h2>
<form method="post" action="/signin/code"><label>E-mail address <input name="address" type="email" autocomplete="username" required></label>
<label>One-time code <input name="code" inputmode="numeric" autocomplete="one-time-code" required></label><button type="submit">Sign in</button></form>
<h2>No code?</h2>
<form method="post" action="/signin/request"><label>E-mail address <input name="address" type="email" required></label><button type="submit">Send me a code</button></form>`,
  );
}

export function acceptedPage(address: string): string {
  return page(
    'Code accepted',
    `<p>Your one-time credential for <strong>${escapeHtml(address)}</strong> was accepted.</p>
<p>The next step is setting a password for the webmail. That step and the webmail itself are not available yet in this version of the service; this page only confirms that your credential works.</p>`,
  );
}

export function requestedPage(message: string): string {
  return page('Check your phone', `<p>${escapeHtml(message)}</p><p><a href="/signin">Back to sign-in</a></p>`);
}

export function errorPage(statusCode: number, code: string, message: string): string {
  return page('Sign-in failed', `<p>${escapeHtml(message)}</p><p><small>${statusCode} ${escapeHtml(code)}</small></p><p><a href="/signin">Back to sign-in</a></p>`);
}
