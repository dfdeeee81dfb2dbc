import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, get, post } from './api';
import { t, when } from './i18n';
import { ActionKind, nextAction } from './next-action';
import type { ContinuityStatus, EventSummary, Readiness, ReconciliationReport, Tenant } from './types';

const REFRESH_MS = 3000;

/** The first screen: is our mail OK, and what do I do now. */
export function Dashboard({ tenant, canChange, goReadiness }: { tenant: Tenant; canChange: boolean; goReadiness: () => void }) {
  const [status, setStatus] = useState<ContinuityStatus | null>(null);
  const [readiness, setReadiness] = useState<Readiness | null>(null);
  const [events, setEvents] = useState<EventSummary[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [dialog, setDialog] = useState<ActionKind | null>(null);
  const base = `/api/tenants/${tenant.id}`;

  const refresh = async () => {
    try {
      const [s, e] = await Promise.all([get<ContinuityStatus>(`${base}/continuity`), get<{ items: EventSummary[] }>(`${base}/continuity/events`)]);
      setStatus(s);
      setEvents(e.items);
      setError(null);
      get<Readiness>(`${base}/readiness?limit=5`).then(setReadiness, () => undefined);
    } catch (e) {
      const err = e as ApiError;
      setError(err.code === 'network' ? t('error.network') : t('error.generic', { message: err.message }));
    }
  };
  useEffect(() => {
    void refresh();
    const timer = setInterval(() => void refresh(), REFRESH_MS);
    return () => clearInterval(timer);
  }, [tenant.id]);

  if (!status) return <p>{error ?? t('loading')}</p>;
  const next = nextAction(status, readiness);
  const latest = events[0];

  return (
    <div class="dashboard">
      {error && <p class="error" role="alert">{error}</p>}
      <section class={`mode mode-${status.mode}`} aria-labelledby="mode-h">
        <h1 id="mode-h" class="visually-hidden">{t('mode.heading')}</h1>
        <p class="mode-title" data-testid="mode">
          {t(`mode.${status.mode}` as 'mode.normal')}
        </p>
        {status.modeSince && <p class="mode-since">{t('mode.since', { time: when(status.modeSince) })}</p>}
      </section>

      <section class={`next tone-${next.tone}`} aria-labelledby="next-h">
        <h2 id="next-h">{t('next.heading')}</h2>
        <p data-testid="next-action">{t(next.text, next.vars)}</p>
        {next.action === 'readiness' && (
          <button type="button" class="secondary" onClick={goReadiness}>
            {t('action.readiness')}
          </button>
        )}
        {canChange && next.action && next.action !== 'readiness' && (
          <button type="button" class={`big ${next.action === 'activate' || next.action === 'confirm' ? 'danger' : 'go'}`} onClick={() => setDialog(next.action)}>
            {t(`action.${next.action}` as 'action.activate')}
          </button>
        )}
        {canChange && status.mode === 'normal' && next.action !== 'activate' && next.action !== 'confirm' && (
          <button type="button" class="big danger subtle" onClick={() => setDialog('activate')}>
            {t('action.activate')}
          </button>
        )}
        {!canChange && <p class="muted">{t('readonly')}</p>}
      </section>

      <div class="grid">
        <section aria-labelledby="up-h" class="panel">
          <h2 id="up-h">{t('upstreams.heading')}</h2>
          {status.upstreams.length === 0 && <p class="muted">{t('upstreams.none')}</p>}
          <ul class="plain">
            {status.upstreams.map((u) => (
              <li>
                <span class={`dot ${u.state}`} aria-hidden="true" /> {u.host}:{u.port} — <strong>{t(`upstream.${u.state}` as 'upstream.healthy')}</strong>
                {u.state === 'failing' && u.lastDetail && <div class="muted small">{u.lastDetail}</div>}
              </li>
            ))}
          </ul>
        </section>
        <section aria-labelledby="mail-h" class="panel">
          <h2 id="mail-h">{t('mail.heading')}</h2>
          <p>
            <span class="figure" data-testid="held">{status.deliveries.held}</span> {t('mail.held')}
          </p>
          <p>
            <span class="figure">{status.deliveries.pending}</span> {t('mail.pending')}
          </p>
        </section>
        <section aria-labelledby="texts-h" class="panel">
          <h2 id="texts-h">{t('texts.heading')}</h2>
          <Texts s={status} />
        </section>
      </div>

      {latest && <LastEvent base={base} event={latest} />}

      {dialog && (
        <ConfirmDialog
          kind={dialog}
          tenant={tenant}
          onCancel={() => setDialog(null)}
          onDone={() => {
            setDialog(null);
            void refresh();
          }}
        />
      )}
    </div>
  );
}

function Texts({ s }: { s: ContinuityStatus }) {
  const x = s.texts;
  const total = x.delivered + x.sent + x.sending + x.queued + x.failed + x.undelivered + x.capped;
  if (total === 0) return <p class="muted">{t('texts.none')}</p>;
  return (
    <div data-testid="texts">
      <p>
        <span class="figure" data-testid="texts-delivered">{x.delivered}</span> {t('texts.delivered')}
      </p>
      {x.sent > 0 && (
        <p>
          <span class="figure">{x.sent}</span> {t('texts.sentNotConfirmed')}
        </p>
      )}
      {x.remaining > 0 && (
        <p>
          <span class="figure">{x.remaining}</span> {t('texts.remaining')}
          {x.estimatedSecondsUntilAllSent !== null && <span class="muted"> · {t('texts.eta', { seconds: x.estimatedSecondsUntilAllSent })}</span>}
        </p>
      )}
      {x.failed + x.undelivered > 0 && (
        <p class="bad">
          <span class="figure">{x.failed + x.undelivered}</span> {t('texts.failed')}
        </p>
      )}
    </div>
  );
}

function LastEvent({ base, event }: { base: string; event: EventSummary }) {
  const [report, setReport] = useState<ReconciliationReport | null>(null);
  const [error, setError] = useState<string | null>(null);
  const load = () => get<ReconciliationReport>(`${base}/continuity/events/${event.id}/report`).then(setReport, (e: ApiError) => setError(e.message));
  return (
    <section class="panel report" aria-labelledby="report-h">
      <h2 id="report-h">{t('report.heading')}</h2>
      <p class="muted">
        {when(event.startedAt)} – {when(event.endedAt ?? event.recoveryStartedAt)}
      </p>
      {!report && (
        <button type="button" class="secondary" onClick={() => void load()}>
          {t('report.show')}
        </button>
      )}
      {error && <p class="error">{error}</p>}
      {report && (
        <div data-testid="report">
          <p class={report.allAccountedFor ? 'good' : 'bad'}>{report.allAccountedFor ? t('report.allAccounted') : t('report.notAllAccounted')}</p>
          <dl class="totals">
            <dt>{t('report.received')}</dt>
            <dd>{report.totals.receivedDuringEvent}</dd>
            <dt>{t('report.replayed')}</dt>
            <dd>{report.totals.replayed}</dd>
            <dt>{t('report.sent')}</dt>
            <dd>{report.totals.sentDuringEvent}</dd>
            <dt>{t('report.copiedBack')}</dt>
            <dd>{report.totals.copiedBack}</dd>
            <dt>{t('report.failed')}</dt>
            <dd>{report.totals.failed}</dd>
            <dt>{t('report.pending')}</dt>
            <dd>{report.totals.pending}</dd>
          </dl>
          {report.mailboxes.length > 0 && (
            <div class="scroll">
              <table>
                <thead>
                  <tr>
                    <th scope="col">{t('report.mailbox')}</th>
                    <th scope="col">{t('report.received')}</th>
                    <th scope="col">{t('report.replayed')}</th>
                    <th scope="col">{t('report.pending')}</th>
                    <th scope="col">{t('report.failed')}</th>
                  </tr>
                </thead>
                <tbody>
                  {report.mailboxes.map((m) => (
                    <tr>
                      <td>{m.mailbox}</td>
                      <td>{m.receivedDuringEvent}</td>
                      <td>{m.replayed}</td>
                      <td>{m.pending}</td>
                      <td>{m.failed}</td>
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

const ENDPOINT: Record<Exclude<ActionKind, 'readiness'>, string> = { activate: 'activate', end: 'end', confirm: 'confirm', endDrill: 'drill/end' };
const TITLE: Record<Exclude<ActionKind, 'readiness'>, 'confirm.activateTitle' | 'confirm.endTitle' | 'confirm.confirmTitle' | 'confirm.endDrillTitle'> = {
  activate: 'confirm.activateTitle',
  end: 'confirm.endTitle',
  confirm: 'confirm.confirmTitle',
  endDrill: 'confirm.endDrillTitle',
};

/** A deliberate step: the admin names the reason and types the tenant's name before the button works. */
function ConfirmDialog({ kind, tenant, onCancel, onDone }: { kind: ActionKind; tenant: Tenant; onCancel: () => void; onDone: () => void }) {
  const ref = useRef<HTMLDialogElement>(null);
  const [typed, setTyped] = useState('');
  const [reason, setReason] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    ref.current?.showModal();
  }, []);
  if (kind === 'readiness') return null;
  const matches = typed.trim() === tenant.name;
  const submit = async (e: Event) => {
    e.preventDefault();
    if (!matches || !reason.trim()) return;
    setBusy(true);
    try {
      await post(`/api/tenants/${tenant.id}/continuity/${ENDPOINT[kind]}`, { reason: reason.trim() });
      ref.current?.close();
      onDone();
    } catch (err) {
      setError((err as ApiError).message);
    } finally {
      setBusy(false);
    }
  };
  const danger = kind === 'activate' || kind === 'confirm';
  return (
    <dialog ref={ref} class="confirm" aria-labelledby="confirm-h" onCancel={onCancel} onClose={onCancel}>
      <form onSubmit={submit}>
        <h2 id="confirm-h">{t(TITLE[kind], { tenant: tenant.name })}</h2>
        <p>{t(danger ? 'confirm.activateBody' : 'confirm.endBody')}</p>
        <label>
          {t('confirm.reason')}
          <textarea name="reason" required rows={2} value={reason} onInput={(e) => setReason((e.target as HTMLTextAreaElement).value)} />
        </label>
        <label>
          {t('confirm.typeName', { tenant: tenant.name })}
          <input name="tenantName" autoComplete="off" value={typed} onInput={(e) => setTyped((e.target as HTMLInputElement).value)} aria-describedby="confirm-match" />
        </label>
        <p id="confirm-match" class="muted small" aria-live="polite">
          {typed && !matches ? t('confirm.mismatch') : ''}
        </p>
        {error && <p class="error" role="alert">{error}</p>}
        <div class="buttons">
          <button type="button" class="secondary" onClick={() => ref.current?.close()}>
            {t('confirm.cancel')}
          </button>
          <button type="submit" class={`big ${danger ? 'danger' : 'go'}`} disabled={!matches || !reason.trim() || busy}>
            {t(`action.${kind}` as 'action.activate')}
          </button>
        </div>
      </form>
    </dialog>
  );
}
