/**
 * A conversation: the thread's messages oldest first, the opened one (and unread ones) expanded.
 * Mail-derived text is only ever rendered as text; an HTML body is the server's sanitized
 * document in a sandboxed frame without scripts (see MailFrame), remote images off until
 * the reader asks for them.
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
        <MailFrame key={images ? 'with-images' : 'blocked'} title={t('htmlFrame')} src={images ? withImages(msg.htmlUrl) : msg.htmlUrl} />
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

/**
 * The sandbox of a message frame. It must never hold allow-scripts: that is the
 * whole of its protection. What each flag does here:
 *
 * - no allow-scripts: nothing in the document runs — no <script>, no handler, no
 *   javascript: URL — whatever the sanitizer missed. The document's own CSP says
 *   the same (default-src 'none', no script-src) and carries the same sandbox
 *   (mailDocumentCsp), so the document opened on its own is just as inert.
 * - allow-same-origin: the frame keeps the webmail's origin instead of an opaque
 *   one, only so that this page can read its height (an opaque-origin frame
 *   cannot be measured from outside, and a document without scripts cannot tell
 *   its height itself). Same-origin rights are powers of scripts — reading our
 *   DOM, cookies or storage, calling our API with the session — and no script
 *   can run in the frame, so the frame gains nothing it could use. The dangerous
 *   pair is allow-scripts with allow-same-origin (a script could then lift its
 *   own sandbox); this frame has only one of the two. The frame's own requests
 *   are still bound by its CSP (images only: data:, ourselves, or http(s) once
 *   the reader allows them); GET requests to our origin change nothing (every
 *   change needs a POST with the CSRF token), and forms are off (no allow-forms,
 *   form-action 'none').
 * - no allow-top-navigation, no allow-forms, no allow-modals: a link cannot move
 *   the app away, nothing submits, no dialog.
 * - allow-popups, allow-popups-to-escape-sandbox: links open in a new tab as a
 *   normal page (the sanitizer adds rel="noopener noreferrer").
 *
 * A srcdoc frame would be measurable too, but it would inherit this page's
 * policy instead of the document's (no inline styles, no remote images even
 * when allowed), so the frame keeps loading the served document.
 */
export const MAIL_FRAME_SANDBOX = 'allow-same-origin allow-popups allow-popups-to-escape-sandbox';
/** A body taller than this scrolls inside its frame. */
const MAX_FRAME_HEIGHT = 20000;
const MIN_FRAME_HEIGHT = 48;

/** The sanitized HTML document in a sandboxed frame as tall as its content, on any width. */
function MailFrame(props: { src: string; title: string }) {
  const frame = useRef<HTMLIFrameElement>(null);
  const [height, setHeight] = useState<number | null>(null);

  useEffect(() => {
    const el = frame.current;
    if (!el) return;
    let observer: ResizeObserver | null = null;
    let raf = 0;
    const measure = () => {
      cancelAnimationFrame(raf);
      raf = requestAnimationFrame(() => {
        // Null when the document is not ours to read (a link followed inside the frame): keep the last height.
        let doc: Document | null = null;
        try {
          doc = el.contentDocument;
        } catch {
          doc = null;
        }
        if (!doc?.body || !doc.documentElement) return;
        const root = doc.documentElement;
        const margins = (() => {
          const cs = doc.defaultView?.getComputedStyle(doc.body);
          return cs ? parseFloat(cs.marginTop) + parseFloat(cs.marginBottom) : 0;
        })();
        // The content's own height, not the frame's (scrollHeight never drops below the frame), plus a horizontal scrollbar if any.
        const content = Math.max(doc.body.scrollHeight + margins, Math.ceil(root.getBoundingClientRect().height));
        const scrollbar = root.scrollWidth > root.clientWidth ? el.clientHeight - root.clientHeight : 0;
        const border = el.offsetHeight - el.clientHeight;
        const h = Math.min(MAX_FRAME_HEIGHT, Math.max(MIN_FRAME_HEIGHT, Math.ceil(content + scrollbar))) + border;
        setHeight((old) => (old === h ? old : h));
      });
    };
    const onLoad = () => {
      observer?.disconnect();
      const doc = (() => {
        try {
          return el.contentDocument;
        } catch {
          return null;
        }
      })();
      if (doc?.body && typeof ResizeObserver === 'function') {
        observer = new ResizeObserver(measure);
        observer.observe(doc.body);
      }
      measure();
    };
    el.addEventListener('load', onLoad);
    window.addEventListener('resize', measure);
    return () => {
      cancelAnimationFrame(raf);
      observer?.disconnect();
      el.removeEventListener('load', onLoad);
      window.removeEventListener('resize', measure);
    };
  }, [props.src]);

  return (
    <iframe
      ref={frame}
      class="html-body"
      title={props.title}
      sandbox={MAIL_FRAME_SANDBOX}
      referrerpolicy="no-referrer"
      src={props.src}
      style={height === null ? undefined : { height: `${height}px` }}
    />
  );
}

export function isNotFound(e: unknown): boolean {
  return e instanceof ApiError && e.status === 404;
}

export { namesOf };
