import { useEffect, useState } from 'preact/hooks';
import { ApiError, get } from './api';
import { t, when } from './i18n';
import type { Readiness, Tenant } from './types';

export function ReadinessView({ tenant }: { tenant: Tenant }) {
  const [r, setR] = useState<Readiness | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    get<Readiness>(`/api/tenants/${tenant.id}/readiness?limit=50`).then(setR, (e: ApiError) => setError(e.message));
  }, [tenant.id]);
  if (error) return <p class="error" role="alert">{error}</p>;
  if (!r) return <p>{t('loading')}</p>;
  return (
    <div>
      <h1>{t('readiness.heading')}</h1>
      <p class={r.ready ? 'good big-text' : 'bad big-text'} data-testid="readiness">
        {r.ready ? t('readiness.ready') : t('readiness.notReady')}
      </p>
      <Section title={t('readiness.domains')} count={r.domains.count} items={r.domains.items.map((d) => `${d.name}: ${d.problems.join(', ')}`)} />
      <Section title={t('readiness.mobiles')} count={r.mobileNumbers.count} items={r.mobileNumbers.items.map((m) => `${m.displayName} <${m.address}>`)} />
      <Section title={t('readiness.texts')} count={r.texts.count} items={r.texts.items.map((x) => `${x.address}: ${x.state}${x.lastError ? ` (${x.lastError})` : ''} · ${when(x.at)}`)} />
      <Section title={t('readiness.webmail')} count={r.webmailSignIn.count} items={r.webmailSignIn.items.map((m) => `${m.displayName} <${m.address}>`)} />
    </div>
  );
}

function Section({ title, count, items }: { title: string; count: number; items: string[] }) {
  return (
    <section class="panel">
      <h2>
        {title}: {count}
      </h2>
      {count === 0 ? (
        <p class="good">{t('readiness.ok')}</p>
      ) : (
        <ul>
          {items.map((i) => (
            <li>{i}</li>
          ))}
        </ul>
      )}
    </section>
  );
}
