import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, post } from './api';
import { t } from './i18n';
import type { SessionView } from './types';
import { QrCode } from './qr';

/** Password, then the TOTP code (or enrolment of an authenticator app the first time). */
export function SignIn({ session, onSession, langButton }: { session: SessionView | null; onSession: (s: SessionView) => void; langButton: preact.JSX.Element }) {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [enrolment, setEnrolment] = useState<{ secret: string; otpauthUrl: string } | null>(null);
  const scanRef = useRef<HTMLParagraphElement>(null);
  // The button that showed the key is gone: start reading (and tabbing) at the instructions.
  useEffect(() => {
    if (enrolment) scanRef.current?.focus();
  }, [enrolment]);

  const run = async (fn: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await fn();
    } catch (e) {
      const err = e as ApiError;
      setError(err.status === 429 ? t('signin.limited') : err.code === 'invalid_credentials' ? t('signin.invalid') : err.code === 'invalid_code' ? t('totp.invalid') : t('error.generic', { message: err.message }));
    } finally {
      setBusy(false);
    }
  };

  const field = (form: HTMLFormElement, name: string) => (form.elements.namedItem(name) as HTMLInputElement).value;

  return (
    <div class="signin">
      <div class="signin-top">{langButton}</div>
      <main id="main" class="card">
        {!session && (
          <form
            onSubmit={(e) => {
              e.preventDefault();
              const f = e.currentTarget as HTMLFormElement;
              void run(async () => onSession(await post<SessionView>('/api/auth/login', { email: field(f, 'email'), password: field(f, 'password') })));
            }}
          >
            <h1>{t('signin.title')}</h1>
            <label>
              {t('signin.email')}
              <input name="email" type="email" autoComplete="username" required autoFocus />
            </label>
            <label>
              {t('signin.password')}
              <input name="password" type="password" autoComplete="current-password" required />
            </label>
            {error && <p class="error" role="alert">{error}</p>}
            <button type="submit" class="primary" disabled={busy}>
              {t('signin.submit')}
            </button>
          </form>
        )}
        {session?.mfa === 'pending' && (
          <form
            onSubmit={(e) => {
              e.preventDefault();
              const f = e.currentTarget as HTMLFormElement;
              void run(async () => onSession(await post<SessionView>('/api/auth/totp', { code: field(f, 'code') })));
            }}
          >
            <h1>{t('totp.title')}</h1>
            <label>
              {t('totp.code')}
              <input name="code" inputMode="numeric" pattern="[0-9]{6}" maxLength={6} autoComplete="one-time-code" required autoFocus />
            </label>
            {error && <p class="error" role="alert">{error}</p>}
            <button type="submit" class="primary" disabled={busy}>
              {t('totp.submit')}
            </button>
          </form>
        )}
        {session?.mfa === 'enrol' && (
          <form
            onSubmit={(e) => {
              e.preventDefault();
              const f = e.currentTarget as HTMLFormElement;
              void run(async () => onSession(await post<SessionView>('/api/auth/totp/confirm', { code: field(f, 'code') })));
            }}
          >
            <h1>{t('enrol.title')}</h1>
            <p>{t('enrol.intro')}</p>
            {!enrolment ? (
              <button type="button" class="primary" disabled={busy} onClick={() => void run(async () => setEnrolment(await post('/api/auth/totp/enroll')))}>
                {t('enrol.start')}
              </button>
            ) : (
              <>
                <p id="enrol-scan" tabIndex={-1} ref={scanRef}>{t('enrol.scan')}</p>
                <figure class="qr-figure">
                  <QrCode text={enrolment.otpauthUrl} label={t('enrol.qrLabel')} testId="totp-qr" />
                </figure>
                <p>
                  {t('enrol.manual')}
                  <br />
                  {t('enrol.key')}: <code class="secret" data-testid="totp-secret">{enrolment.secret.replace(/(.{4})/g, '$1 ').trim()}</code>
                </p>
                <p>
                  <a href={enrolment.otpauthUrl}>{t('enrol.link')}</a>
                </p>
                <label>
                  {t('totp.code')}
                  <input name="code" inputMode="numeric" pattern="[0-9]{6}" maxLength={6} autoComplete="one-time-code" required />
                </label>
                <button type="submit" class="primary" disabled={busy}>
                  {t('totp.submit')}
                </button>
              </>
            )}
            {error && <p class="error" role="alert">{error}</p>}
          </form>
        )}
      </main>
    </div>
  );
}
