import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, post } from './api';
import { Key, t } from './i18n';
import type { SessionView } from './types';

/** The server's password rules (libs/admin-access passwords.ts), for the text beside the fields. */
const MIN_LENGTH = 12;
const MAX_LENGTH = 256;

/**
 * The server names the rule a new password broke (code weak_password); say it
 * in the reader's language when it is one we know, else show its own words.
 */
function passwordError(e: ApiError): string {
  if (e.status === 429) return t('error.limited');
  if (e.code === 'wrong_password') return t('password.wrongCurrent');
  if (e.code === 'weak_password') {
    // The limit in the text is the server's own, read from its message.
    const known: Array<[RegExp, Key]> = [
      [/at least (\d+) characters/, 'password.tooShort'],
      [/at most (\d+) characters/, 'password.tooLong'],
      [/repeat one character/, 'password.repeated'],
    ];
    for (const [re, key] of known) {
      const m = re.exec(e.message);
      if (m) return t(key, { min: m[1] ?? MIN_LENGTH, max: m[1] ?? MAX_LENGTH });
    }
    return t('password.weak', { message: e.message });
  }
  return t('error.generic', { message: e.message });
}

/** The signed-in account: change its password. */
export function AccountView({ session }: { session: SessionView }) {
  const [error, setError] = useState<string | null>(null);
  const [mismatch, setMismatch] = useState(false);
  const [invalid, setInvalid] = useState<'currentPassword' | 'newPassword' | null>(null);
  const [done, setDone] = useState(false);
  const [busy, setBusy] = useState(false);
  const doneRef = useRef<HTMLParagraphElement>(null);
  useEffect(() => {
    if (done) doneRef.current?.focus();
  }, [done]);

  const submit = async (e: Event) => {
    e.preventDefault();
    const f = e.currentTarget as HTMLFormElement;
    const val = (n: string) => (f.elements.namedItem(n) as HTMLInputElement).value;
    setDone(false);
    setError(null);
    setInvalid(null);
    if (val('newPassword') !== val('repeatPassword')) {
      setMismatch(true);
      (f.elements.namedItem('repeatPassword') as HTMLInputElement).focus();
      return;
    }
    setMismatch(false);
    setBusy(true);
    try {
      await post('/api/auth/password', { currentPassword: val('currentPassword'), newPassword: val('newPassword') });
      f.reset();
      setDone(true);
    } catch (err) {
      const apiErr = err as ApiError;
      setError(passwordError(apiErr));
      const field = apiErr.code === 'wrong_password' ? 'currentPassword' : apiErr.code === 'weak_password' ? 'newPassword' : null;
      setInvalid(field);
      if (field) (f.elements.namedItem(field) as HTMLInputElement).focus();
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="panel account" aria-labelledby="account-h">
      <h1 id="account-h">{t('account.heading')}</h1>
      <p class="muted">{t('account.signedInAs', { name: session.user.name, email: session.user.email ?? '' })}</p>
      <h2 id="password-h">{t('password.heading')}</h2>
      <p>{t('password.effects')}</p>
      <form onSubmit={submit} aria-labelledby="password-h" class="inline-form">
        {/* A hidden user name lets password managers file the new password under the right account. */}
        <input type="email" name="username" autoComplete="username" value={session.user.email ?? ''} readOnly hidden aria-label={t('signin.email')} />
        <label>
          {t('password.current')}
          <input name="currentPassword" type="password" autoComplete="current-password" required maxLength={MAX_LENGTH} aria-invalid={invalid === 'currentPassword' ? 'true' : undefined} aria-describedby={invalid === 'currentPassword' ? 'password-error' : undefined} />
        </label>
        <label>
          {t('password.new')}
          <input
            name="newPassword"
            type="password"
            autoComplete="new-password"
            required
            maxLength={MAX_LENGTH}
            aria-invalid={invalid === 'newPassword' ? 'true' : undefined}
            aria-describedby={invalid === 'newPassword' ? 'password-error password-rules' : 'password-rules'}
          />
        </label>
        <div id="password-rules" class="rules">
          <p class="small">{t('password.rulesTitle')}</p>
          <ul class="small">
            <li>{t('password.ruleLength', { min: MIN_LENGTH, max: MAX_LENGTH })}</li>
            <li>{t('password.ruleRepeat')}</li>
            <li>{t('password.ruleHint')}</li>
          </ul>
        </div>
        <label>
          {t('password.repeat')}
          <input
            name="repeatPassword"
            type="password"
            autoComplete="new-password"
            required
            maxLength={MAX_LENGTH}
            aria-invalid={mismatch ? 'true' : undefined}
            aria-describedby={mismatch ? 'password-mismatch' : undefined}
            onInput={() => setMismatch(false)}
          />
        </label>
        {mismatch && (
          <p id="password-mismatch" class="error" role="alert">
            {t('password.mismatch')}
          </p>
        )}
        {error && (
          <p id="password-error" class="error" role="alert">
            {error}
          </p>
        )}
        {done && (
          <p class="good" role="status" tabIndex={-1} ref={doneRef}>
            {t('password.changed')}
          </p>
        )}
        <button type="submit" class="primary" disabled={busy}>
          {t('password.submit')}
        </button>
      </form>
    </section>
  );
}
