/** The message list: newest first, a page at a time (more loads by itself when scrolled to, or by the button). */
import { ClipIcon } from './icons';
import { useEffect, useRef } from 'preact/hooks';
import { formatDate, T, useI18n } from './i18n';
import { ListRoute, openHash } from './route';
import type { Address, DraftSummary, MessageSummary } from './types';

export function nameOf(a: Address | null | undefined): string {
  if (!a) return '';
  return (a.name && a.name.trim()) || a.address;
}

export function namesOf(list: Address[] | null | undefined): string {
  return (list ?? []).map(nameOf).join(', ');
}

export interface ListState {
  key: string;
  items: MessageSummary[];
  nextCursor: string | null;
  loading: boolean;
  error: string | null;
}

export function MessageList(props: {
  list: ListRoute;
  state: ListState;
  selectedId: string | null;
  heading: string;
  onMore(): void;
  onRetry(): void;
}) {
  const { t, lang } = useI18n();
  const { state, list } = props;
  const sentinel = useRef<HTMLDivElement>(null);
  const showTo = list.kind === 'folder' && list.folder === 'sent';

  useEffect(() => {
    const el = sentinel.current;
    if (!el || !state.nextCursor || typeof IntersectionObserver === 'undefined') return;
    const io = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting)) props.onMore();
    }, { rootMargin: '200px' });
    io.observe(el);
    return () => io.disconnect();
  }, [state.nextCursor, state.loading, state.key]);

  return (
    <section class="list" aria-labelledby="list-heading" aria-busy={state.loading ? 'true' : 'false'}>
      <h1 id="list-heading" class="list-heading" tabIndex={-1}>
        {props.heading}
      </h1>
      {state.error && (
        <p class="error" role="alert">
          {state.error} <button type="button" class="link" onClick={props.onRetry}>{t('retry')}</button>
        </p>
      )}
      {!state.loading && !state.error && state.items.length === 0 && <p class="empty">{list.kind === 'search' ? t('noResults') : t('noMessages')}</p>}
      <ul class="rows">
        {state.items.map((m) => {
          const who = showTo ? `${t('to')}: ${namesOf(m.to)}` : nameOf(m.from) || t('unknownSender');
          const href = openHash(list, { mailboxId: m.mailboxId, threadId: m.threadId, entryId: m.id });
          const selected = m.id === props.selectedId;
          return (
            <li key={m.id} class={'row' + (m.unread ? ' unread' : '') + (selected ? ' selected' : '')}>
              <a href={href} aria-current={selected ? 'true' : undefined} data-entry-id={m.id}>
                <span class="row-top">
                  <span class="who">
                    {m.unread && <span class="dot" aria-hidden="true" />}
                    {m.unread && <span class="sr-only">{t('unread')}: </span>}
                    {who}
                  </span>
                  <time class="when" dateTime={m.date}>
                    {formatDate(m.date, lang)}
                  </time>
                </span>
                <span class="subject">
                  {m.authWarning && (
                    <span class="badge-warn" title={t('authWarningShort')}>
                      <span aria-hidden="true">⚠</span>
                      <span class="sr-only">{t('authWarningShort')}: </span>
                    </span>
                  )}
                  {m.subject || t('noSubject')}
                  {m.hasAttachments && (
                    <span class="clip" title={t('hasAttachments')}>
                      {' '}<ClipIcon />
                      <span class="sr-only">, {t('hasAttachments')}</span>
                    </span>
                  )}
                  {list.kind === 'search' && <span class="folder-tag"> · {folderLabel(m.folder, t)}</span>}
                </span>
                {m.snippet && <span class="snippet">{m.snippet}</span>}
              </a>
            </li>
          );
        })}
      </ul>
      {state.loading && <p class="loading">{t('loading')}</p>}
      {state.nextCursor && !state.loading && (
        <div class="more" ref={sentinel}>
          <button type="button" onClick={props.onMore}>
            {t('more')}
          </button>
        </div>
      )}
    </section>
  );
}

export function folderLabel(folder: string, t: T): string {
  return folder === 'inbox' || folder === 'sent' || folder === 'trash' || folder === 'drafts' ? t(folder) : folder;
}

export function DraftList(props: { drafts: DraftSummary[] | null; error: string | null; hrefOf(id: string): string; heading: string }) {
  const { t, lang } = useI18n();
  return (
    <section class="list" aria-labelledby="list-heading" aria-busy={props.drafts ? 'false' : 'true'}>
      <h1 id="list-heading" class="list-heading" tabIndex={-1}>
        {props.heading}
      </h1>
      {props.error && <p class="error" role="alert">{props.error}</p>}
      {!props.drafts && !props.error && <p class="loading">{t('loading')}</p>}
      {props.drafts && props.drafts.length === 0 && <p class="empty">{t('noDrafts')}</p>}
      <ul class="rows">
        {(props.drafts ?? []).map((d) => (
          <li key={d.id} class="row">
            <a href={props.hrefOf(d.id)}>
              <span class="row-top">
                <span class="who">
                  {t('to')}: {namesOf(d.to) || '—'}
                </span>
                <time class="when" dateTime={d.updatedAt}>
                  {formatDate(d.updatedAt, lang)}
                </time>
              </span>
              <span class="subject">
                {d.subject || t('noSubject')}
                {d.attachmentCount > 0 && (
                  <span class="clip">
                    {' '}<ClipIcon />
                    <span class="sr-only">, {t('hasAttachments')}</span>
                  </span>
                )}
              </span>
              {d.snippet && <span class="snippet">{d.snippet}</span>}
            </a>
          </li>
        ))}
      </ul>
    </section>
  );
}
