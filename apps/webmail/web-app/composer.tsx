/** Writing a message: a server-side draft saved as it is typed, sent through the same delivery engine. */
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, api, del, get, post, put } from './api';
import { formatSize, useI18n } from './i18n';
import { RecipientField } from './recipients';
import type { Address, Draft, Limits, Sender } from './types';

type Editable = Pick<Draft, 'fromMailboxId' | 'to' | 'cc' | 'bcc' | 'subject' | 'text'>;

function editable(d: Draft): Editable {
  return { fromMailboxId: d.fromMailboxId, to: d.to, cc: d.cc, bcc: d.bcc, subject: d.subject, text: d.text };
}

const clean = (list: Address[]) => list.map((a) => (a.name ? { name: a.name, address: a.address } : { address: a.address }));

export function Composer(props: {
  draftId: string;
  senders: Sender[];
  limits: Limits | null;
  onClose(): void;
  onSent(): void;
  onDiscarded(): void;
  announce(text: string): void;
  describeError(e: unknown): string;
}) {
  const { t, lang } = useI18n();
  const [draft, setDraft] = useState<Draft | null>(null);
  const [form, setForm] = useState<Editable | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [sending, setSending] = useState(false);
  const [uploading, setUploading] = useState(false);
  const [showCc, setShowCc] = useState(false);
  const dirty = useRef(false);
  const saving = useRef<Promise<unknown> | null>(null);
  const heading = useRef<HTMLHeadingElement>(null);
  const fileInput = useRef<HTMLInputElement>(null);
  const formRef = useRef<Editable | null>(null);
  formRef.current = form;

  useEffect(() => {
    let live = true;
    get<Draft>(`/api/drafts/${encodeURIComponent(props.draftId)}`)
      .then((d) => {
        if (!live) return;
        setDraft(d);
        setForm(editable(d));
        setShowCc(d.cc.length > 0 || d.bcc.length > 0);
      })
      .catch((e) => live && setError(props.describeError(e)));
    return () => {
      live = false;
    };
  }, [props.draftId]);

  const loaded = !!draft;
  useEffect(() => {
    // A new or forwarded message starts in To (autofocus); a reply starts at its heading.
    if (loaded && draft?.mode !== 'new' && draft?.mode !== 'forward') heading.current?.focus({ preventScroll: true });
  }, [loaded]);

  const save = async (): Promise<boolean> => {
    if (saving.current) await saving.current.catch(() => undefined);
    if (!dirty.current || !formRef.current) return true;
    dirty.current = false;
    const f = formRef.current;
    const p = put<Draft>(`/api/drafts/${encodeURIComponent(props.draftId)}`, { ...f, to: clean(f.to), cc: clean(f.cc), bcc: clean(f.bcc) });
    saving.current = p;
    try {
      const d = await p;
      setDraft(d);
      return true;
    } catch (e) {
      dirty.current = true;
      setError(props.describeError(e));
      return false;
    } finally {
      saving.current = null;
    }
  };

  // Saved a moment after the typing stops, and when the page goes away.
  useEffect(() => {
    if (!form || !dirty.current) return;
    const timer = setTimeout(() => void save(), 1200);
    return () => clearTimeout(timer);
  }, [form]);
  useEffect(() => () => void save(), []);

  const change = (patch: Partial<Editable>) => {
    dirty.current = true;
    setError(null);
    setForm((f) => (f ? { ...f, ...patch } : f));
  };

  if (!form || !draft) {
    return (
      <section class="composer" aria-busy="true">
        {error ? <p class="error" role="alert">{error}</p> : <p class="loading">{t('loading')}</p>}
        <button type="button" onClick={props.onClose}>{t('closeCompose')}</button>
      </section>
    );
  }

  const send = async (e: Event) => {
    e.preventDefault();
    setSending(true);
    setError(null);
    try {
      if (!(await save())) return;
      await post(`/api/drafts/${encodeURIComponent(props.draftId)}/send`);
      dirty.current = false;
      props.announce(t('sent_ok'));
      props.onSent();
    } catch (err) {
      setError(props.describeError(err));
    } finally {
      setSending(false);
    }
  };

  const discard = async () => {
    try {
      dirty.current = false;
      await del(`/api/drafts/${encodeURIComponent(props.draftId)}`);
      props.announce(t('discarded'));
      props.onDiscarded();
    } catch (err) {
      setError(props.describeError(err));
    }
  };

  const saveNow = async () => {
    dirty.current = true;
    if (await save()) props.announce(t('draftSaved'));
  };

  const attach = async (files: FileList | null) => {
    if (!files || !files.length) return;
    const max = props.limits?.maxAttachmentBytes;
    for (const f of Array.from(files)) {
      if (max && f.size > max) {
        setError(`${f.name}: ${t('attachLimit', { size: formatSize(max, lang), total: formatSize(props.limits!.maxMessageBytes, lang) })}`);
        if (fileInput.current) fileInput.current.value = '';
        return;
      }
    }
    const body = new FormData();
    for (const f of Array.from(files)) body.append('file', f, f.name);
    setUploading(true);
    setError(null);
    props.announce(t('uploading'));
    try {
      const d = await api<Draft>('POST', `/api/drafts/${encodeURIComponent(props.draftId)}/attachments`, body);
      setDraft(d);
      props.announce(t('draftSaved'));
    } catch (err) {
      setError(props.describeError(err));
    } finally {
      setUploading(false);
      if (fileInput.current) fileInput.current.value = '';
    }
  };

  const removeAttachment = async (id: string) => {
    try {
      setDraft(await del<Draft>(`/api/drafts/${encodeURIComponent(props.draftId)}/attachments/${encodeURIComponent(id)}`));
    } catch (err) {
      setError(props.describeError(err));
    }
  };

  const title = draft.mode === 'reply' ? t('reply') : draft.mode === 'replyAll' ? t('replyAll') : draft.mode === 'forward' ? t('forward') : t('newMessage');
  const sendable = props.senders.length ? props.senders : [{ mailboxId: draft.fromMailboxId, address: draft.from.address, name: draft.from.name ?? '', kind: 'own' as const }];

  return (
    <section class="composer" aria-labelledby="compose-heading">
      <form onSubmit={send} noValidate>
        <div class="compose-bar">
          <h2 id="compose-heading" tabIndex={-1} ref={heading}>{title}</h2>
          <button type="button" class="link" onClick={async () => { await save(); props.onClose(); }}>
            {t('closeCompose')}
          </button>
        </div>
        {error && <p class="error" role="alert">{error}</p>}
        {sendable.length > 1 ? (
          <div class="field">
            <label for="compose-from">{t('sendAs')}</label>
            <select id="compose-from" value={form.fromMailboxId} onChange={(e) => change({ fromMailboxId: (e.target as HTMLSelectElement).value })}>
              {sendable.map((s) => (
                <option key={s.mailboxId} value={s.mailboxId}>
                  {s.name ? `${s.name} <${s.address}>` : s.address}
                </option>
              ))}
            </select>
          </div>
        ) : (
          <p class="from-fixed">
            {t('from')}: {draft.from.name ? `${draft.from.name} <${draft.from.address}>` : draft.from.address}
          </p>
        )}
        <RecipientField id="compose-to" label={t('to')} value={form.to} onChange={(to) => change({ to })} autoFocus={draft.mode === 'new' || draft.mode === 'forward'} />
        {showCc ? (
          <>
            <RecipientField id="compose-cc" label={t('cc')} value={form.cc} onChange={(cc) => change({ cc })} />
            <RecipientField id="compose-bcc" label={t('bcc')} value={form.bcc} onChange={(bcc) => change({ bcc })} />
          </>
        ) : (
          <button type="button" class="link" onClick={() => setShowCc(true)}>
            {t('cc')} / {t('bcc')}
          </button>
        )}
        <div class="field">
          <label for="compose-subject">{t('subject')}</label>
          <input id="compose-subject" type="text" value={form.subject} onInput={(e) => change({ subject: (e.target as HTMLInputElement).value })} />
        </div>
        <div class="field">
          <label for="compose-body">{t('body')}</label>
          <textarea id="compose-body" rows={12} value={form.text} onInput={(e) => change({ text: (e.target as HTMLTextAreaElement).value })} />
        </div>
        <div class="field attach">
          <label for="compose-files" class="button-like">{t('addAttachment')}</label>
          <input id="compose-files" ref={fileInput} type="file" multiple class="visually-hidden-file" aria-describedby="compose-limit" onChange={(e) => attach((e.target as HTMLInputElement).files)} disabled={uploading} />
          {props.limits && (
            <span id="compose-limit" class="hint">
              {t('attachLimit', { size: formatSize(props.limits.maxAttachmentBytes, lang), total: formatSize(props.limits.maxMessageBytes, lang) })}
            </span>
          )}
          {uploading && <span class="hint">{t('uploading')}</span>}
          {draft.attachments.length > 0 && (
            <ul class="draft-files">
              {draft.attachments.map((a) => (
                <li key={a.id}>
                  <span>{a.filename}</span> <span class="size">{formatSize(a.size, lang)}</span>{' '}
                  <button type="button" class="link" aria-label={t('removeAttachment', { name: a.filename })} onClick={() => removeAttachment(a.id)}>
                    ×
                  </button>
                </li>
              ))}
            </ul>
          )}
        </div>
        <div class="compose-actions">
          <button type="submit" class="primary" disabled={sending || uploading}>
            {sending ? t('sending') : t('send')}
          </button>
          <button type="button" onClick={saveNow}>{t('saveDraft')}</button>
          <button type="button" class="danger" onClick={discard}>{t('discard')}</button>
        </div>
      </form>
    </section>
  );
}

export function isApiError(e: unknown): e is ApiError {
  return e instanceof ApiError;
}
