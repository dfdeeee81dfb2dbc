/**
 * A conversation: the thread's messages oldest first, the opened one (and unread ones) expanded.
 * Mail-derived text is only ever rendered as text; an HTML body is the server's sanitized
 * document in a sandboxed frame without scripts or same-origin rights, remote images off
 * until the reader asks for them.
 */
import { ClipIcon } from './icons';
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, get, post } from './api';
import { formatDate, formatSize, useI18n } from './i18n';
import { nameOf, namesOf } from './list';
import type { Address, MessageDetail, MessageSummary, Thread } from './types';

export type ReplyMode = 'reply' | 'replyAll' | 'forward';

export interface ReaderActions {
  onBack(): void;
  onReply(entryId: string, mode: ReplyMode): void;
  onTrash(entryId: string): void;
  onRestore(entryId: string): void;
  onReadChanged(entryId: string, unread: boolean): void;
  announce(text: string): void;
  describeError(e: unknown): string;
}

export function ThreadView(props: { mailboxId: string; threadId: string | null; entryId: string; actions: ReaderActions }) {
  const { t } = useI18n();
  const [thread, setThread] = useState<{ subject: string | null; messages: MessageSummary[] } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const heading = useRef<HTMLHeadingElement>(null);

  useEffect(() => {
    let live = true;
    setThread(null);
    setError(null);
    (async () => {
      let th: Thread | null = null;
      if (props.threadId) {
        th = await get<Thread>(`/api/mailboxes/${encodeURIComponent(props.mailboxId)}/threads/${encodeURIComponent(props.threadId)}`).catch(() => null);
      }
      if (th && th.messages.some((m) => m.id === props.entryId)) return th;
      // Not threaded (or the opened message is in Trash, outside its thread): show it alone.
      const d = await get<MessageDetail>(`/api/messages/${encodeURIComponent(props.entryId)}`);
      const single: MessageSummary = { id: d.id, mailboxId: d.mailboxId, folder: d.folder, threadId: d.threadId, from: d.from, to: d.to, subject: d.subject, snippet: null, date: d.date, unread: d.unread, hasAttachments: d.attachments.length > 0, authWarning: d.auth?.warning ?? null };
      return { threadId: '', subject: d.subject, messages: [single] } as Thread;
    })()
      .then((th) => {
        if (!live) return;
        setThread(th);
      })
      .catch((e) => live && setError(props.actions.describeError(e)));
    return () => {
      live = false;
    };
  }, [props.mailboxId, props.threadId, props.entryId]);

  // The reader's place moves to the opened message (screen readers start reading there).
  useEffect(() => {
    if (thread) heading.current?.focus({ preventScroll: true });
  }, [thread]);

  return (
    <article class="reader" aria-labelledby="reader-heading" aria-busy={thread ? 'false' : 'true'}>
      <div class="reader-bar">
        <button type="button" class="back" onClick={props.actions.onBack}>
          <span aria-hidden="true">← </span>
          {t('back')}
        </button>
      </div>
      {error && <p class="error" role="alert">{error}</p>}
      {!thread && !error && <p class="loading">{t('loadingMessage')}</p>}
      {thread && (
        <>
          <h2 id="reader-heading" class="reader-heading" tabIndex={-1} ref={heading}>
            {thread.subject || t('noSubject')}
          </h2>
          {thread.messages.length > 1 && <p class="thread-count">{t('messagesInThread', { n: thread.messages.length })}</p>}
          <ol class="thread">
            {thread.messages.map((m, i) => (
              <li key={m.id}>
                <ThreadItem summary={m} initiallyOpen={m.id === props.entryId || m.unread || (i === thread.messages.length - 1 && !thread.messages.some((x) => x.id === props.entryId))} focus={m.id === props.entryId} actions={props.actions} />
              </li>
            ))}
          </ol>
        </>
      )}
    </article>
  );
}

function ThreadItem(props: { summary: MessageSummary; initiallyOpen: boolean; focus: boolean; actions: ReaderActions }) {
  const { t, lang } = useI18n();
  const [open, setOpen] = useState(props.initiallyOpen);
  const m = props.summary;
  if (!open) {
    return (
      <button type="button" class="collapsed" aria-expanded="false" onClick={() => setOpen(true)} aria-label={t('showMessage', { name: nameOf(m.from) || t('unknownSender') })}>
        <span class="who">{nameOf(m.from) || t('unknownSender')}</span>
        <time dateTime={m.date}>{formatDate(m.date, lang)}</time>
        {m.snippet && <span class="snippet">{m.snippet}</span>}
      </button>
    );
  }
  return <MessageCard entryId={m.id} actions={props.actions} scrollTo={props.focus} />;
}

function withImages(url: string): string {
  return url + (url.includes('?') ? '&' : '?') + 'images=allowed';
}

function AddressLine(props: { label: string; list: Address[] }) {
  if (!props.list.length) return null;
  return (
    <div class="addr-line">
      <dt>{props.label}</dt>
      <dd>
        {props.list.map((a, i) => (
          <span key={i} title={a.address}>
            {i > 0 ? ', ' : ''}
            {a.name ? `${a.name} <${a.address}>` : a.address}
          </span>
        ))}
      </dd>
    </div>
  );
}

export function MessageCard(props: { entryId: string; actions: ReaderActions; scrollTo: boolean }) {
  const { t, lang } = useI18n();
  const [msg, setMsg] = useState<MessageDetail | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [images, setImages] = useState(false);
  const [busy, setBusy] = useState(false);
  const ref = useRef<HTMLDivElement>(null);
  const { actions } = props;

  useEffect(() => {
    let live = true;
    setMsg(null);
    setImages(false);
    get<MessageDetail>(`/api/messages/${encodeURIComponent(props.entryId)}`)
      .then(async (d) => {
        if (!live) return;
        setMsg(d);
        if (props.scrollTo) requestAnimationFrame(() => ref.current?.scrollIntoView({ block: 'nearest' }));
        if (d.unread) {
          await post(`/api/messages/${encodeURIComponent(d.id)}/read`, { unread: false }).catch(() => undefined);
          if (live) setMsg({ ...d, unread: false });
          actions.onReadChanged(d.id, false);
        }
      })
      .catch((e) => live && setError(actions.describeError(e)));
    return () => {
      live = false;
    };
  }, [props.entryId]);

  if (error) return <p class="error" role="alert">{error}</p>;
  if (!msg) return <p class="loading">{t('loadingMessage')}</p>;

  const toggleRead = async () => {
    setBusy(true);
    try {
      const unread = !msg.unread;
      await post(`/api/messages/${encodeURIComponent(msg.id)}/read`, { unread });
      setMsg({ ...msg, unread });
      actions.onReadChanged(msg.id, unread);
      actions.announce(unread ? t('markUnread') : t('markRead'));
    } catch (e) {
      actions.announce(actions.describeError(e));
    } finally {
      setBusy(false);
    }
  };

  const files = msg.attachments.filter((a) => !a.inline || !msg.hasHtml);
  const warning = msg.auth?.warning;
  const inTrash = msg.folder === 'trash';

  return (
    <div class="message" ref={ref} data-entry-id={msg.id}>
      <header class="msg-head">
        <div class="from-line">
          <strong class="from-name">{nameOf(msg.from) || t('unknownSender')}</strong>
          {msg.from?.name && <span class="from-addr"> &lt;{msg.from.address}&gt;</span>}
        </div>
        <dl class="addrs">
          <AddressLine label={t('to')} list={msg.to} />
          <AddressLine label={t('cc')} list={msg.cc} />
          <div class="addr-line">
            <dt>{t('date')}</dt>
            <dd>
              <time dateTime={msg.date}>{formatDate(msg.date, lang, true)}</time>
            </dd>
          </div>
        </dl>
        <div class="actions" role="toolbar" aria-label={t('thread')}>
          <button type="button" onClick={() => actions.onReply(msg.id, 'reply')}>{t('reply')}</button>
          <button type="button" onClick={() => actions.onReply(msg.id, 'replyAll')}>{t('replyAll')}</button>
          <button type="button" onClick={() => actions.onReply(msg.id, 'forward')}>{t('forward')}</button>
          <button type="button" onClick={toggleRead} disabled={busy}>{msg.unread ? t('markRead') : t('markUnread')}</button>
          {inTrash ? (
            <button type="button" onClick={() => actions.onRestore(msg.id)}>{t('restore')}</button>
          ) : (
            <button type="button" class="danger" onClick={() => actions.onTrash(msg.id)}>{t('delete')}</button>
          )}
        </div>
      </header>
      {warning && (
        <div class="auth-warning" role="alert" data-testid="auth-warning">
          <strong>
            <span aria-hidden="true">⚠ </span>
            {t('authWarning')}
          </strong>
          {lang === 'en' && <p class="auth-detail">{warning}</p>}
          <p class="auth-detail">
            SPF {msg.auth?.spf ?? '–'} · DKIM {msg.auth?.dkim ?? '–'} · DMARC {msg.auth?.dmarc ?? '–'}
          </p>
        </div>
      )}
      {msg.unparseable && <p class="note">{t('unparseable')}</p>}
      {msg.note && <p class="note">{msg.note}</p>}
      {msg.hasHtml && msg.htmlUrl && msg.remoteImages > 0 && !images && (
        <div class="images-bar">
          <span>{t('imagesBlocked', { n: msg.remoteImages })}</span>
          <button type="button" onClick={() => setImages(true)}>{t('showImages')}</button>
        </div>
      )}
      {msg.hasHtml && msg.htmlUrl ? (
        <iframe
          class="html-body"
          key={images ? 'with-images' : 'blocked'}
          title={t('htmlFrame')}
          sandbox="allow-popups allow-popups-to-escape-sandbox"
          referrerpolicy="no-referrer"
          src={images ? withImages(msg.htmlUrl) : msg.htmlUrl}
        />
      ) : (
        <pre class="text-body" aria-label={t('plainText')}>{msg.text ?? ''}</pre>
      )}
      {files.length > 0 && (
        <section class="attachments" aria-label={t('attachments')}>
          <h3>{t('attachments')}</h3>
          <ul>
            {files.map((a) => (
              <li key={a.index}>
                <a href={a.url} download={a.filename ?? ''} aria-label={t('download', { name: a.filename ?? a.contentType })}>
                  <ClipIcon />{' '}
                  {a.filename ?? a.contentType}
                </a>{' '}
                <span class="size">{formatSize(a.size, lang)}</span>
              </li>
            ))}
          </ul>
        </section>
      )}
    </div>
  );
}

export function isNotFound(e: unknown): boolean {
  return e instanceof ApiError && e.status === 404;
}

export { namesOf };
