import { useEffect, useState } from 'preact/hooks';
import { ApiError, get, post, setCsrfToken, whenSignedOut } from './api';
import { currentLang, Lang, setLang, t } from './i18n';
import type { SessionView, Tenant } from './types';
import { SignIn } from './signin';
import { Dashboard } from './dashboard';
import { Mailboxes } from './mailboxes';
import { ReadinessView } from './readiness';
import { AuditView } from './audit';
import { QueueView } from './queue';
import { SettingsView } from './settings';
import { AccessView } from './access';
import { ScimTokensView } from './scim';
import { AccountView } from './account';

type Section = 'dashboard' | 'mailboxes' | 'readiness' | 'audit' | 'queue' | 'settings' | 'access' | 'scim' | 'account';
const SECTIONS: Section[] = ['dashboard', 'mailboxes', 'readiness', 'audit', 'queue', 'settings', 'access', 'scim', 'account'];

/** `#/<tenantId>/<section>`: bookmarkable, and the server needs only one page. */
function parseHash(): { tenantId: string | null; section: Section } {
  const [, tenantId, section] = location.hash.replace(/^#/, '').split('/');
  return { tenantId: tenantId || null, section: SECTIONS.includes(section as Section) ? (section as Section) : 'dashboard' };
}

export function App() {
  const [session, setSession] = useState<SessionView | null | 'loading'>('loading');
  const [, setLangTick] = useState<Lang>(currentLang());

  const load = async () => {
    try {
      const s = await get<SessionView>('/api/auth/session');
      setCsrfToken(s.csrfToken);
      setSession(s);
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) setSession(null);
      else setSession(null);
    }
  };
  useEffect(() => {
    whenSignedOut(() => setSession(null));
    void load();
  }, []);

  const switchLang = () => {
    const next: Lang = currentLang() === 'en' ? 'de' : 'en';
    setLang(next);
    setLangTick(next);
  };
  const langButton = (
    <button type="button" class="link" onClick={switchLang} aria-label={t('lang.switchLabel')} lang={currentLang() === 'en' ? 'de' : 'en'}>
      {t('lang.switch')}
    </button>
  );

  if (session === 'loading') return <p class="boot">{t('loading')}</p>;
  if (!session || session.mfa !== 'passed') {
    return (
      <SignIn
        session={session}
        langButton={langButton}
        onSession={(s) => {
          setCsrfToken(s.csrfToken);
          setSession(s);
        }}
      />
    );
  }
  return <Shell session={session} langButton={langButton} onSignedOut={() => setSession(null)} />;
}

function Shell({ session, langButton, onSignedOut }: { session: SessionView; langButton: preact.JSX.Element; onSignedOut: () => void }) {
  const [route, setRoute] = useState(parseHash());
  const [tenants, setTenants] = useState<Tenant[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    const onHash = () => setRoute(parseHash());
    window.addEventListener('hashchange', onHash);
    get<{ tenants: Tenant[] }>('/api/tenants').then(
      (r) => setTenants(r.tenants),
      (e: ApiError) => setError(e.message),
    );
    return () => window.removeEventListener('hashchange', onHash);
  }, []);

  const tenantId = route.tenantId ?? session.user.tenantId ?? tenants?.[0]?.id ?? null;
  const tenant = tenants?.find((x) => x.id === tenantId) ?? null;
  const go = (section: Section, id = tenantId) => {
    location.hash = `#/${id ?? ''}/${section}`;
  };
  const signOut = async () => {
    await post('/api/auth/logout').catch(() => undefined);
    onSignedOut();
  };
  const canChange = session.user.role !== 'viewer';
  // Viewers cannot read API keys or SCIM tokens (the API refuses them), so the console does not offer them.
  const sections = SECTIONS.filter((s) => (s !== 'queue' || session.user.role === 'operator') && ((s !== 'access' && s !== 'scim') || canChange));

  return (
    <div class="shell">
      <header class="top">
        <a class="skip" href="#main">Skip to content</a>
        <strong class="brand">{t('app.title')}</strong>
        {tenants && tenants.length > 1 ? (
          <label class="tenant-pick">
            <span>{t('tenant.choose')}</span>
            <select value={tenantId ?? ''} onChange={(e) => go(route.section, (e.target as HTMLSelectElement).value)}>
              {tenants.map((x) => (
                <option value={x.id}>{x.name}</option>
              ))}
            </select>
          </label>
        ) : (
          <span class="tenant-name">{tenant?.name}</span>
        )}
        <span class="who" title={session.user.email ?? ''}>
          {session.user.name} · {session.user.role}
        </span>
        {langButton}
        <button type="button" class="link" onClick={signOut}>
          {t('signout')}
        </button>
      </header>
      <nav class="sections" aria-label={t('nav.label')}>
        {sections.map((s) => (
          <a href={`#/${tenantId ?? ''}/${s}`} aria-current={route.section === s ? 'page' : undefined}>
            {t(`nav.${s}` as 'nav.dashboard')}
          </a>
        ))}
      </nav>
      <main id="main" tabIndex={-1}>
        {error && <p class="error" role="alert">{t('error.generic', { message: error })}</p>}
        {!tenant && !error && route.section !== 'account' && <p>{t('loading')}</p>}
        {tenant && route.section === 'dashboard' && <Dashboard key={tenant.id} tenant={tenant} canChange={canChange} goReadiness={() => go('readiness')} />}
        {tenant && route.section === 'mailboxes' && <Mailboxes key={tenant.id} tenant={tenant} canChange={canChange} />}
        {tenant && route.section === 'readiness' && <ReadinessView key={tenant.id} tenant={tenant} />}
        {tenant && route.section === 'audit' && <AuditView key={tenant.id} tenant={tenant} />}
        {tenant && route.section === 'queue' && <QueueView key={tenant.id} tenant={tenant} isOperator={session.user.role === 'operator'} />}
        {tenant && route.section === 'settings' && <SettingsView key={tenant.id} tenant={tenant} canChange={canChange} />}
        {tenant && route.section === 'access' && canChange && <AccessView key={tenant.id} tenant={tenant} isOperator={session.user.role === 'operator'} />}
        {tenant && route.section === 'scim' && (canChange ? <ScimTokensView key={tenant.id} tenant={tenant} /> : <p class="muted">{t('scim.adminsOnly')}</p>)}
        {route.section === 'account' && <AccountView session={session} />}
      </main>
    </div>
  );
}
