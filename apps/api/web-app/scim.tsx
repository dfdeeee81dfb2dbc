import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, del, get, post } from './api';
import { CopyField } from './copy-field';
import { t, when } from './i18n';
import type { Tenant } from './types';

interface ScimToken {
  id: string;
  name: string;
  prefix: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

interface CreatedToken extends ScimToken {
  token: string;
  scimBaseUrl: string;
}

const message = (e: unknown) => {
  const err = e as ApiError;
  return err.status === 429 ? t('error.limited') : t('error.generic', { message: err.message });
};

/**
 * Tokens the tenant's identity provider (Entra ID, Okta) provisions mailboxes
 * with. Admins only, as the API allows: a viewer cannot list them either.
 * A new token is shown once, beside the SCIM base URL it goes with.
 */
export function ScimTokensView({ tenant }: { tenant: Tenant }) {
  const url = `/api/tenants/${tenant.id}/scim-tokens`;
  const [tokens, setTokens] = useState<ScimToken[] | null>(null);
  const [created, setCreated] = useState<CreatedToken | null>(null);
  const [revoking, setRevoking] = useState<ScimToken | null>(null);
  const [revoked, setRevoked] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const createdRef = useRef<HTMLElement>(null);

  const load = () =>
    get<{ items: ScimToken[] }>(url).then(
      (r) => setTokens(r.items),
      (e) => setError(message(e)),
    );
  useEffect(() => void load(), [tenant.id]);
  // The token is on screen once: take the reader straight to it.
  useEffect(() => {
    if (created) createdRef.current?.focus();
  }, [created]);

  const create = async (e: Event) => {
    e.preventDefault();
    const f = e.currentTarget as HTMLFormElement;
    const name = (f.elements.namedItem('name') as HTMLInputElement).value.trim();
    if (!name) return;
    setBusy(true);
    setRevoked(null);
    try {
      setCreated(await post<CreatedToken>(url, { name }));
      f.reset();
      setError(null);
      void load();
    } catch (err) {
      setError(message(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div>
      <section class="panel" aria-labelledby="scim-h">
        <h1 id="scim-h">{t('scim.heading')}</h1>
        <p>{t('scim.intro')}</p>
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        {created && (
          <section class="once" aria-labelledby="scim-new-h" tabIndex={-1} ref={createdRef} data-testid="scim-created">
            <h2 id="scim-new-h">{t('scim.created', { name: created.name })}</h2>
            <p class="warning">
              <strong>{t('scim.onceTitle')}</strong> {t('scim.onceBody')}
            </p>
            <CopyField id="scim-secret" label={t('scim.secret')} value={created.token} testId="scim-secret" />
            <CopyField id="scim-url" label={t('scim.baseUrl')} value={created.scimBaseUrl} testId="scim-base-url" />
            <h3>{t('scim.whereTitle')}</h3>
            <ul>
              <li>{t('scim.whereEntra')}</li>
              <li>{t('scim.whereOkta')}</li>
            </ul>
            <button type="button" class="primary" onClick={() => setCreated(null)}>
              {t('scim.hide')}
            </button>
          </section>
        )}
        {revoked && (
          <p class="good" role="status">
            {t('scim.revokedNotice', { name: revoked })}
          </p>
        )}
        <h2>{t('scim.listHeading')}</h2>
        {!tokens && !error && <p>{t('loading')}</p>}
        {tokens && tokens.length === 0 && <p class="muted">{t('scim.none')}</p>}
        {tokens && tokens.length > 0 && (
          <div class="scroll">
            <table data-testid="scim-tokens">
              <thead>
                <tr>
                  <th scope="col">{t('scim.name')}</th>
                  <th scope="col">{t('scim.createdAt')}</th>
                  <th scope="col">{t('access.lastUsed')}</th>
                  <th scope="col">{t('scim.state')}</th>
                </tr>
              </thead>
              <tbody>
                {tokens.map((k) => (
                  <tr key={k.id}>
                    <td>
                      {k.name} <span class="muted small">{k.prefix}…</span>
                    </td>
                    <td>{when(k.createdAt)}</td>
                    <td>{k.lastUsedAt ? when(k.lastUsedAt) : t('access.never')}</td>
                    <td>
                      {k.revokedAt ? (
                        <span class="muted">{t('scim.revokedAt', { time: when(k.revokedAt) })}</span>
                      ) : (
                        <button type="button" class="secondary" onClick={() => setRevoking(k)} aria-label={`${t('access.revoke')}: ${k.name}`}>
                          {t('access.revoke')}
                        </button>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
      <section class="panel" aria-labelledby="scim-create-h">
        <h2 id="scim-create-h">{t('scim.createHeading')}</h2>
        <form onSubmit={create} class="inline-form">
          <label>
            {t('scim.nameField')}
            <input name="name" required maxLength={100} autoComplete="off" placeholder="Entra ID" />
          </label>
          <button type="submit" class="primary" disabled={busy}>
            {t('scim.create')}
          </button>
        </form>
      </section>
      {revoking && (
        <RevokeDialog
          token={revoking}
          url={`${url}/${revoking.id}`}
          onCancel={() => setRevoking(null)}
          onDone={() => {
            setRevoked(revoking.name);
            setRevoking(null);
            void load();
          }}
        />
      )}
    </div>
  );
}

/** Revoking cuts the identity provider off at its next sync: ask first. */
function RevokeDialog({ token, url, onCancel, onDone }: { token: ScimToken; url: string; onCancel: () => void; onDone: () => void }) {
  const ref = useRef<HTMLDialogElement>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    ref.current?.showModal();
  }, []);
  const revoke = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    try {
      await del(url);
      ref.current?.close();
      onDone();
    } catch (err) {
      setError(message(err));
      setBusy(false);
    }
  };
  return (
    <dialog ref={ref} class="confirm" aria-labelledby="revoke-h" aria-describedby="revoke-body" onCancel={onCancel} onClose={onCancel}>
      <form onSubmit={revoke}>
        <h2 id="revoke-h">{t('scim.revokeTitle', { name: token.name })}</h2>
        <p id="revoke-body">{t('scim.revokeBody')}</p>
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <div class="buttons">
          <button type="button" class="secondary" onClick={() => ref.current?.close()}>
            {t('confirm.cancel')}
          </button>
          <button type="submit" class="danger" disabled={busy}>
            {t('scim.revokeConfirm')}
          </button>
        </div>
      </form>
    </dialog>
  );
}
