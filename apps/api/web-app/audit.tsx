import { useEffect, useState } from 'preact/hooks';
import { ApiError, get, qs } from './api';
import { t, when } from './i18n';
import type { AuditItem, Tenant } from './types';

const PAGE = 50;

export function AuditView({ tenant }: { tenant: Tenant }) {
  const [action, setAction] = useState('');
  const [items, setItems] = useState<AuditItem[]>([]);
  const [hasMore, setHasMore] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const load = async (offset: number) => {
    try {
      const r = await get<{ items: AuditItem[]; hasMore: boolean }>(`/api/tenants/${tenant.id}/continuity/audit${qs({ action, limit: PAGE, offset })}`);
      setItems((prev) => (offset === 0 ? r.items : [...prev, ...r.items]));
      setHasMore(r.hasMore);
      setError(null);
    } catch (e) {
      setError((e as ApiError).message);
    }
  };
  useEffect(() => {
    const timer = setTimeout(() => void load(0), 250);
    return () => clearTimeout(timer);
  }, [action, tenant.id]);
  return (
    <div>
      <h1>{t('audit.heading')}</h1>
      <label class="search">
        {t('audit.filter')}
        <input value={action} onInput={(e) => setAction((e.target as HTMLInputElement).value.trim())} />
      </label>
      {error && <p class="error" role="alert">{error}</p>}
      <div class="scroll">
        <table>
          <thead>
            <tr>
              <th scope="col">{t('audit.when')}</th>
              <th scope="col">{t('audit.who')}</th>
              <th scope="col">{t('audit.what')}</th>
              <th scope="col">{t('audit.reason')}</th>
            </tr>
          </thead>
          <tbody>
            {items.map((i) => (
              <tr>
                <td>{when(i.at)}</td>
                <td>{i.actor}</td>
                <td>
                  {i.action}
                  {i.target ? <span class="muted small"> {i.target}</span> : null}
                </td>
                <td>{i.reason ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {hasMore && (
        <button type="button" class="secondary" onClick={() => void load(items.length)}>
          {t('audit.more')}
        </button>
      )}
    </div>
  );
}
