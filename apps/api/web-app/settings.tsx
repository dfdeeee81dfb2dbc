import { useEffect, useState } from 'preact/hooks';
import { ApiError, get, patch } from './api';
import { t } from './i18n';
import type { Settings, Tenant } from './types';

export function SettingsView({ tenant, canChange }: { tenant: Tenant; canChange: boolean }) {
  const [s, setS] = useState<Settings | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);
  const url = `/api/tenants/${tenant.id}/settings`;
  useEffect(() => {
    get<Settings>(url).then(setS, (e: ApiError) => setError(e.message));
  }, [tenant.id]);
  if (error && !s) return <p class="error" role="alert">{error}</p>;
  if (!s) return <p>{t('loading')}</p>;
  const submit = async (e: Event) => {
    e.preventDefault();
    const f = e.currentTarget as HTMLFormElement;
    const val = (n: string) => (f.elements.namedItem(n) as HTMLInputElement | HTMLSelectElement).value;
    setSaved(false);
    try {
      const next = await patch<Settings>(url, {
        continuity: { policy: val('policy') },
        language: val('language'),
        rollingWindowDays: Number(val('window')),
        rejectOnDmarcFail: (f.elements.namedItem('dmarc') as HTMLInputElement).checked,
        sms: { sender: val('sender').trim() || null },
      });
      setS(next);
      setSaved(true);
      setError(null);
    } catch (err) {
      setError((err as ApiError).message);
    }
  };
  return (
    <form onSubmit={submit} class="settings">
      <h1>{t('settings.heading')}</h1>
      <fieldset disabled={!canChange}>
        <label>
          {t('settings.policy')}
          <select name="policy" value={s.continuity.effectivePolicy}>
            <option value="automatic">{t('settings.policy.automatic')}</option>
            <option value="confirm">{t('settings.policy.confirm')}</option>
            <option value="manual">{t('settings.policy.manual')}</option>
          </select>
        </label>
        <label>
          {t('settings.language')}
          <select name="language" value={s.language}>
            <option value="en">English</option>
            <option value="de">Deutsch</option>
          </select>
        </label>
        <label>
          {t('settings.smsSender')}
          <input name="sender" value={s.sms.sender ?? ''} maxLength={16} />
        </label>
        <label>
          {t('settings.window')}
          <input name="window" type="number" min={1} max={365} value={s.rollingWindowDays} />
        </label>
        <label class="check">
          <input name="dmarc" type="checkbox" checked={s.rejectOnDmarcFail} /> {t('settings.dmarc')}
        </label>
        {canChange && (
          <button type="submit" class="primary">
            {t('settings.save')}
          </button>
        )}
      </fieldset>
      {!canChange && <p class="muted">{t('readonly')}</p>}
      {saved && <p class="good" role="status">{t('settings.saved')}</p>}
      {error && <p class="error" role="alert">{error}</p>}
    </form>
  );
}
