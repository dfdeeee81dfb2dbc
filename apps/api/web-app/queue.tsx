import { useEffect, useState } from 'preact/hooks';
import { ApiError, get, qs } from './api';
import { t, when } from './i18n';
import type { QueueItem, Tenant } from './types';

export function QueueView({ tenant, isOperator }: { tenant: Tenant; isOperator: boolean }) {
  const [state, setState] = useState<'held' | 'deferred' | 'queued'>('held');
  const [r, setR] = useState<{ items: QueueItem[]; total: number } | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    if (!isOperator) return;
    get<{ items: QueueItem[]; total: number }>(`/api/tenants/${tenant.id}/queue${qs({ state, limit: 100 })}`).then(setR, (e: ApiError) => setError(e.message));
  }, [state, tenant.id]);
  if (!isOperator) return <p>{t('queue.operatorOnly')}</p>;
  return (
    <div>
      <h1>{t('queue.heading')}</h1>
      <label>
        {t('queue.state')}
        <select value={state} onChange={(e) => setState((e.target as HTMLSelectElement).value as 'held')}>
          <option value="held">held</option>
          <option value="deferred">deferred</option>
          <option value="queued">queued</option>
        </select>
      </label>
      {error && <p class="error" role="alert">{error}</p>}
      {r && r.items.length === 0 && <p class="muted">{t('queue.empty')}</p>}
      {r && r.items.length > 0 && (
        <div class="scroll">
          <table>
            <thead>
              <tr>
                <th scope="col">{t('queue.recipient')}</th>
                <th scope="col">{t('queue.subject')}</th>
                <th scope="col">{t('queue.attempts')}</th>
                <th scope="col">{t('queue.lastReply')}</th>
              </tr>
            </thead>
            <tbody>
              {r.items.map((i) => (
                <tr>
                  <td>{i.recipient}</td>
                  <td>
                    {i.message.subject ?? '—'} <span class="muted small">{when(i.message.receivedAt)}</span>
                  </td>
                  <td>{i.attempts}</td>
                  <td class="small">{i.lastReply ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
