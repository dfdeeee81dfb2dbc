/** The pages of the sign-in flow, as plain HTML (no scripts, works on any phone), in English or German. */
import { Language, t } from './session/i18n';
import { MIN_PASSWORD_LENGTH } from './session/passwords';

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

/** The tenant's look, where it has one. */
export interface Branding {
  brandName?: string | null;
  logoDataUrl?: string | null;
  primaryColor?: string | null;
}

const LOGO = /^data:image\/(png|jpeg|webp);base64,[A-Za-z0-9+/]+=*$/;
const COLOR = /^#[0-9a-fA-F]{6}$/;

function page(lang: Language, title: string, body: string, brand: Branding = {}): string {
  const color = brand.primaryColor && COLOR.test(brand.primaryColor) ? brand.primaryColor : '#1f5fbf';
  const logo = brand.logoDataUrl && LOGO.test(brand.logoDataUrl) ? `<img class="logo" src="${escapeHtml(brand.logoDataUrl)}" alt="${escapeHtml(brand.brandName ?? '')}">` : '';
  const name = brand.brandName ? `<p class="brand">${escapeHtml(brand.brandName)}</p>` : '';
  return `<!doctype html>
<html lang="${lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><meta name="referrer" content="no-referrer"><title>${escapeHtml(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:28rem;margin:2rem auto;padding:0 1rem;line-height:1.4;color:#222}
h1{font-size:1.5rem}h2{font-size:1.1rem;margin-top:2rem}label{display:block;margin:.5rem 0}
input,button{font-size:1rem;padding:.6rem;width:100%;box-sizing:border-box;margin:.25rem 0;border:1px solid #999;border-radius:.3rem}
button{cursor:pointer;background:${color};color:#fff;border-color:${color}}button.secondary{background:#fff;color:${color}}
.error{background:#fdecea;border:1px solid #e0a39b;padding:.6rem;border-radius:.3rem}.notice{background:#eef5ee;border:1px solid #9bc49b;padding:.6rem;border-radius:.3rem}
.logo{max-height:3rem;max-width:12rem}.brand{font-weight:600;margin:0}small{color:#555}</style>
</head><body>${logo}${name}<h1>${escapeHtml(title)}</h1>
${body}
</body></html>`;
}

function csrfField(csrf: string): string {
  return `<input type="hidden" name="_csrf" value="${escapeHtml(csrf)}">`;
}

function messages(error?: string | null, notice?: string | null): string {
  return `${error ? `<p class="error" role="alert">${escapeHtml(error)}</p>` : ''}${notice ? `<p class="notice" role="status">${escapeHtml(notice)}</p>` : ''}`;
}

export interface SigninPageOptions {
  csrf: string;
  error?: string | null;
  notice?: string | null;
  address?: string;
}

/** Address and password; the code from the text; and "send me a new code". */
export function signinPage(lang: Language, o: SigninPageOptions): string {
  const addr = escapeHtml(o.address ?? '');
  return page(
    lang,
    t(lang, 'signinTitle'),
    `${messages(o.error, o.notice)}
<form method="post" action="/signin/password">${csrfField(o.csrf)}
<label>${t(lang, 'address')} <input name="address" type="email" autocomplete="username" value="${addr}" required></label>
<label>${t(lang, 'password')} <input name="password" type="password" autocomplete="current-password" required></label>
<button type="submit">${t(lang, 'signIn')}</button></form>
<h2>${t(lang, 'withCode')}</h2>
<form method="post" action="/signin/code">${csrfField(o.csrf)}
<label>${t(lang, 'address')} <input name="address" type="email" autocomplete="username" value="${addr}" required></label>
<label>${t(lang, 'code')} <input name="code" inputmode="numeric" autocomplete="one-time-code" required></label>
<button type="submit">${t(lang, 'useCode')}</button></form>
<h2>${t(lang, 'noCode')}</h2>
<p><small>${t(lang, 'sendCodeHint')}</small></p>
<form method="post" action="/signin/request">${csrfField(o.csrf)}
<label>${t(lang, 'address')} <input name="address" type="email" value="${addr}" required></label>
<button type="submit" class="secondary">${t(lang, 'sendCode')}</button></form>`,
  );
}

/** The link from the text opens this: nothing happens until the button is pressed (link previews only GET). */
export function linkConfirmPage(token: string, lang: Language = 'en', csrf = ''): string {
  return page(
    lang,
    t(lang, 'linkTitle'),
    `<p>${t(lang, 'linkText')}</p>
<form method="post" action="/signin/link">${csrfField(csrf)}<input type="hidden" name="t" value="${escapeHtml(token)}"><button type="submit">${t(lang, 'signIn')}</button></form>`,
  );
}

export interface SetPasswordPageOptions {
  address: string;
  csrf: string;
  error?: string | null;
  brand?: Branding;
}

/** After a one-time credential: choose the password for later sign-ins. */
export function setPasswordPage(lang: Language, o: SetPasswordPageOptions): string {
  return page(
    lang,
    t(lang, 'setTitle'),
    `${messages(o.error)}<p>${escapeHtml(t(lang, 'setIntro', { address: o.address }))}</p>
<p><small>${escapeHtml(t(lang, 'setRules', { min: MIN_PASSWORD_LENGTH }))}</small></p>
<form method="post" action="/signin/set-password">${csrfField(o.csrf)}
<input type="email" name="username" autocomplete="username" value="${escapeHtml(o.address)}" hidden readonly>
<label>${t(lang, 'newPassword')} <input name="password" type="password" autocomplete="new-password" minlength="${MIN_PASSWORD_LENGTH}" required></label>
<label>${t(lang, 'confirmPassword')} <input name="confirm" type="password" autocomplete="new-password" minlength="${MIN_PASSWORD_LENGTH}" required></label>
<button type="submit">${t(lang, 'savePassword')}</button></form>`,
    o.brand,
  );
}

/** The webmail is not open for this tenant (or this mailbox, during a drill). Says nothing about the address. */
export function closedPage(lang: Language, brand: Branding = {}): string {
  return page(lang, t(lang, 'closedTitle'), `<p>${t(lang, 'closed')}</p><p><a href="/signin">${t(lang, 'back')}</a></p>`, brand);
}

export function requestedPage(message: string, lang: Language = 'en'): string {
  return page(lang, t(lang, 'checkPhone'), `<p>${escapeHtml(message)}</p><p><a href="/signin">${t(lang, 'back')}</a></p>`);
}

export function errorPage(statusCode: number, code: string, message: string, lang: Language = 'en'): string {
  return page(lang, t(lang, 'failedTitle'), `<p>${escapeHtml(message)}</p><p><small>${statusCode} ${escapeHtml(code)}</small></p><p><a href="/signin">${t(lang, 'back')}</a></p>`);
}
