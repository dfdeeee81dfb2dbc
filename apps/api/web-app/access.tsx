import { useEffect, useState } from 'preact/hooks';
import { ApiError, del, get, patch, post } from './api';
import { t, when } from './i18n';
import type { Role, Tenant } from './types';

interface ApiKey {
  id: string;
  name: string;
  role: 'admin' | 'viewer';
  prefix: string;
  createdBy: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

interface Account {
  id: string;
  email: string;
  name: string;
  role: Role;
  totpEnabled: boolean;
  lastLoginAt: string | null;
  lockedUntil: string | null;
}

/** API keys (tenant admins) and, for operators, the tenant's console accounts. */
export function AccessView({ tenant, isOperator }: { tenant: Tenant; isOperator: boolean }) {
  return (
    <div>
      <ApiKeys tenant={tenant} />
      {isOperator && <Accounts tenant={tenant} />}
    </div>
  );
}

function ApiKeys({ tenant }: { tenant: Tenant }) {
  const url = `/api/tenants/${tenant.id}/api-keys`;
  const [keys, setKeys] = useState<ApiKey[]>([]);
  const [secret, setSecret] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const load = () => get<ApiKey[]>(url).then(setKeys, (e: ApiError) => setError(e.message));
  useEffect(() => void load(), [tenant.id]);
  const create = async (e: Event) => {
    e.preventDefault();
    const f = e.currentTarget as HTMLFormElement;
    try {
      const k = await post<ApiKey & { secret: string }>(url, { name: (f.elements.namedItem('name') as HTMLInputElement).value, role: (f.elements.namedItem('role') as HTMLSelectElement).value });
      setSecret(k.secret);
      f.reset();
      setError(null);
      void load();
    } catch (err) {
      setError((err as ApiError).message);
    }
  };
  const revoke = async (id: string) => {
    await del(`${url}/${id}`).catch((e: ApiError) => setError(e.message));
    void load();
  };
  return (
    <section class="panel" aria-labelledby="keys-h">
      <h1 id="keys-h">{t('access.keys')}</h1>
      <p class="muted">{t('access.keysHelp')}</p>
      {secret && (
        <p role="status">
          {t('access.secretOnce')} <code class="secret">{secret}</code>
        </p>
      )}
      {error && <p class="error" role="alert">{error}</p>}
      <div class="scroll">
        <table>
          <thead>
            <tr>
              <th scope="col">{t('access.keyName')}</th>
              <th scope="col">{t('access.keyRole')}</th>
              <th scope="col">{t('access.lastUsed')}</th>
              <th scope="col">
                <span class="visually-hidden">{t('access.revoke')}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {keys.map((k) => (
              <tr>
                <td>
                  {k.name} <span class="muted small">{k.prefix}…</span>
                </td>
                <td>{t(`access.role.${k.role}` as 'access.role.viewer')}</td>
                <td>{k.lastUsedAt ? when(k.lastUsedAt) : t('access.never')}</td>
                <td>
                  {k.revokedAt ? (
                    <span class="muted">{t('access.revoked')}</span>
                  ) : (
                    <button type="button" class="secondary" onClick={() => void revoke(k.id)} aria-label={`${t('access.revoke')}: ${k.name}`}>
                      {t('access.revoke')}
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <form onSubmit={create} class="inline-form">
        <label>
          {t('access.keyName')}
          <input name="name" required maxLength={100} />
        </label>
        <label>
          {t('access.keyRole')}
          <select name="role">
            <option value="viewer">{t('access.role.viewer')}</option>
            <option value="admin">{t('access.role.admin')}</option>
          </select>
        </label>
        <button type="submit" class="primary">
          {t('access.create')}
        </button>
      </form>
    </section>
  );
}

function Accounts({ tenant }: { tenant: Tenant }) {
  const url = `/api/tenants/${tenant.id}/admins`;
  const [accounts, setAccounts] = useState<Account[]>([]);
  const [error, setError] = useState<string | null>(null);
  const load = () => get<Account[]>(url).then(setAccounts, (e: ApiError) => setError(e.message));
  useEffect(() => void load(), [tenant.id]);
  const act = async (fn: () => Promise<unknown>) => {
    try {
      await fn();
      setError(null);
    } catch (e) {
      setError((e as ApiError).message);
    }
    void load();
  };
  const create = (e: Event) => {
    e.preventDefault();
    const f = e.currentTarget as HTMLFormElement;
    const val = (n: string) => (f.elements.namedItem(n) as HTMLInputElement).value;
    void act(async () => {
      await post(url, { email: val('email'), name: val('name'), role: val('role'), password: val('password') });
      f.reset();
    });
  };
  return (
    <section class="panel" aria-labelledby="accounts-h">
      <h2 id="accounts-h">{t('access.admins')}</h2>
      {error && <p class="error" role="alert">{error}</p>}
      <div class="scroll">
        <table>
          <thead>
            <tr>
              <th scope="col">{t('access.adminEmail')}</th>
              <th scope="col">{t('access.keyRole')}</th>
              <th scope="col">{t('access.totp')}</th>
              <th scope="col">
                <span class="visually-hidden">{t('access.remove')}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {accounts.map((a) => (
              <tr>
                <td>
                  {a.name} <span class="muted small">{a.email}</span>
                </td>
                <td>{a.role}</td>
                <td>{a.totpEnabled ? t('access.yes') : t('access.no')}</td>
                <td class="actions">
                  {a.totpEnabled && (
                    <button type="button" class="secondary" onClick={() => void act(() => patch(`${url}/${a.id}`, { resetTotp: true }))}>
                      {t('access.totpReset')}
                    </button>
                  )}
                  {a.lockedUntil && (
                    <button type="button" class="secondary" onClick={() => void act(() => patch(`${url}/${a.id}`, { unlock: true }))}>
                      {t('access.unlock')}
                    </button>
                  )}
                  <button type="button" class="secondary" onClick={() => void act(() => del(`${url}/${a.id}`))} aria-label={`${t('access.remove')}: ${a.email}`}>
                    {t('access.remove')}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <form onSubmit={create} class="inline-form">
        <label>
          {t('access.adminEmail')}
          <input name="email" type="email" required autoComplete="off" />
        </label>
        <label>
          {t('access.adminName')}
          <input name="name" required />
        </label>
        <label>
          {t('access.keyRole')}
          <select name="role">
            <option value="admin">{t('access.role.admin')}</option>
            <option value="viewer">{t('access.role.viewer')}</option>
          </select>
        </label>
        <label>
          {t('access.adminPassword')}
          <input name="password" type="password" required minLength={12} autoComplete="new-password" />
        </label>
        <button type="submit" class="primary">
          {t('access.addAdmin')}
        </button>
      </form>
    </section>
  );
}
