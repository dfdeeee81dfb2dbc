import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, get, qs } from './api';
import { t } from './i18n';
import type { ImportReport, Mailbox, Tenant } from './types';

/** The directory: a searchable list, and the CSV import with its per-row errors. */
export function Mailboxes({ tenant, canChange }: { tenant: Tenant; canChange: boolean }) {
  const [q, setQ] = useState('');
  const [list, setList] = useState<{ items: Mailbox[]; total: number } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const base = `/api/tenants/${tenant.id}`;
  const load = () => get<{ items: Mailbox[]; total: number }>(`${base}/mailboxes${qs({ q, limit: 100 })}`).then(setList, (e: ApiError) => setError(e.message));
  useEffect(() => {
    const timer = setTimeout(() => void load(), 200);
    return () => clearTimeout(timer);
  }, [q]);

  return (
    <div>
      <h1>{t('mailboxes.heading')}</h1>
      <label class="search">
        {t('mailboxes.search')}
        <input type="search" value={q} onInput={(e) => setQ((e.target as HTMLInputElement).value)} />
      </label>
      {error && <p class="error" role="alert">{error}</p>}
      {list && <p class="muted">{t('mailboxes.total', { total: list.total })}</p>}
      {list && (
        <div class="scroll">
          <table>
            <thead>
              <tr>
                <th scope="col">{t('mailboxes.address')}</th>
                <th scope="col">{t('mailboxes.name')}</th>
                <th scope="col">{t('mailboxes.mobile')}</th>
                <th scope="col">{t('mailboxes.status')}</th>
              </tr>
            </thead>
            <tbody>
              {list.items.map((m) => (
                <tr>
                  <td>{m.address}</td>
                  <td>{m.displayName}</td>
                  <td>{m.mobile ?? <span class="bad">{t('mailboxes.noMobile')}</span>}</td>
                  <td>{m.status}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {canChange && <CsvImport base={base} onImported={() => void load()} />}
    </div>
  );
}

function CsvImport({ base, onImported }: { base: string; onImported: () => void }) {
  const [report, setReport] = useState<ImportReport | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    const form = e.currentTarget as HTMLFormElement;
    const file = (form.elements.namedItem('file') as HTMLInputElement).files?.[0];
    const dryRun = (form.elements.namedItem('dryRun') as HTMLInputElement).checked;
    if (!file) return;
    setBusy(true);
    setError(null);
    try {
      const r = await api<ImportReport>('POST', `${base}/mailboxes/import${qs({ dryRun: String(dryRun) })}`, await file.text(), 'text/csv');
      setReport(r);
      if (!dryRun) onImported();
    } catch (err) {
      setReport(null);
      setError((err as ApiError).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section class="panel" aria-labelledby="import-h">
      <h2 id="import-h">{t('import.heading')}</h2>
      <p class="muted">{t('import.help')}</p>
      <form onSubmit={submit}>
        <label>
          {t('import.file')}
          <input name="file" type="file" accept=".csv,text/csv" required />
        </label>
        <label class="check">
          <input name="dryRun" type="checkbox" /> {t('import.check')}
        </label>
        <button type="submit" class="primary" disabled={busy}>
          {t('import.run')}
        </button>
      </form>
      {error && <p class="error" role="alert">{error}</p>}
      {report && (
        <div data-testid="import-report" role="status">
          <p>{t('import.result', { rows: report.rows, created: report.created, updated: report.updated, unchanged: report.unchanged, errors: report.errorCount })}</p>
          {report.errors.length > 0 && (
            <div class="scroll">
              <table>
                <thead>
                  <tr>
                    <th scope="col">{t('import.row')}</th>
                    <th scope="col">{t('import.problem')}</th>
                  </tr>
                </thead>
                <tbody>
                  {report.errors.map((x) => (
                    <tr>
                      <td>{x.row}</td>
                      <td>
                        {x.reason} <span class="muted small">({x.code})</span>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </div>
      )}
    </section>
  );
}
