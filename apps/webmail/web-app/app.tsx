/** The webmail: folders, the list, the conversation or the composer; one pane at a time on a phone. */
import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { ApiError, get, post, qs, toSignin } from './api';
import { Composer } from './composer';
import { I18nContext, Lang, pickLanguage, rememberLanguage, T, translator } from './i18n';
import { DraftList, folderLabel, ListState, MessageList } from './list';
import { ThreadView, ReplyMode } from './reader';
import { composeHash, listHash, listKey, ListRoute, parseRoute, Route } from './route';
import type { Draft, DraftSummary, FolderName, Limits, Mailbox, MessageSummary, Page, Sender, Session } from './types';

const PAGE = 50;

function describe(t: T) {
  return (e: unknown): string => {
    if (e instanceof ApiError) return e.code === 'network' ? t('errorNetwork') : t('errorGeneric', { msg: e.message });
    return t('errorGeneric', { msg: e instanceof Error ? e.message : String(e) });
  };
}

export function App(props: { session: Session }) {
  const { session } = props;
  const [lang, setLangState] = useState<Lang>(() => pickLanguage(session.tenant.language));
  const t = useMemo(() => translator(lang), [lang]);
  const setLang = (l: Lang) => {
    rememberLanguage(l);
    setLangState(l);
  };
  const brandName = session.tenant.brandName || session.tenant.name;
  useEffect(() => {
    document.documentElement.lang = lang;
    document.title = `${brandName} · ${t('appName')}`;
  }, [lang]);

  const [route, setRoute] = useState<Route>(() => parseRoute(location.hash));
  useEffect(() => {
    const on = () => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);

  const [mailboxes, setMailboxes] = useState<Mailbox[] | null>(null);
  const [senders, setSenders] = useState<Sender[]>([]);
  const [limits, setLimits] = useState<Limits | null>(null);
  const [status, setStatus] = useState('');
  const [menuOpen, setMenuOpen] = useState(false);
  const [list, setList] = useState<ListState>({ key: '', items: [], nextCursor: null, loading: true, error: null });
  const [drafts, setDrafts] = useState<{ items: DraftSummary[] | null; error: string | null }>({ items: null, error: null });
  const [reloadTick, setReloadTick] = useState(0);
  const lastOpened = useRef<string | null>(null);
  const describeError = useMemo(() => describe(t), [t]);

  const announce = useCallback((text: string) => {
    setStatus('');
    requestAnimationFrame(() => setStatus(text));
  }, []);
  useEffect(() => {
    if (!status) return;
    const timer = setTimeout(() => setStatus(''), 6000);
    return () => clearTimeout(timer);
  }, [status]);

  const loadMailboxes = useCallback(() => {
    get<{ mailboxes: Mailbox[] }>('/api/mailboxes')
      .then((r) => setMailboxes(r.mailboxes))
      .catch((e) => announce(describe(t)(e)));
  }, [t]);
  useEffect(() => {
    loadMailboxes();
    get<{ senders: Sender[] }>('/api/compose/senders').then((r) => setSenders(r.senders)).catch(() => undefined);
    get<Limits>('/api/compose/limits').then(setLimits).catch(() => undefined);
  }, []);

  const ownId = session.employee.mailboxId;
  const current: ListRoute = route.list ?? { kind: 'folder', mailboxId: ownId, folder: 'inbox' };
  useEffect(() => {
    if (!route.list) location.replace(listHash(current));
  }, [route.list]);
  const key = listKey(current);

  const listUrl = (l: ListRoute, cursor: string | null): string | null => {
    if (l.kind === 'folder') return `/api/mailboxes/${encodeURIComponent(l.mailboxId)}/folders/${l.folder}/messages${qs({ cursor, limit: PAGE })}`;
    if (l.kind === 'search') return `/api/search${qs({ q: l.q, cursor, limit: PAGE })}`;
    return null;
  };

  // The list follows the route; a stale answer for another list is dropped.
  const listKeyRef = useRef(key);
  listKeyRef.current = key;
  useEffect(() => {
    if (current.kind === 'drafts' || (current.kind === 'folder' && current.folder === 'drafts')) {
      setDrafts((d) => ({ items: d.items, error: null }));
      get<{ drafts: DraftSummary[] }>('/api/drafts')
        .then((r) => setDrafts({ items: r.drafts, error: null }))
        .catch((e) => setDrafts({ items: null, error: describeError(e) }));
      return;
    }
    setList((s) => ({ key, items: s.key === key ? s.items : [], nextCursor: null, loading: true, error: null }));
    get<Page<MessageSummary>>(listUrl(current, null)!)
      .then((p) => listKeyRef.current === key && setList({ key, items: p.items, nextCursor: p.nextCursor, loading: false, error: null }))
      .catch((e) => listKeyRef.current === key && setList({ key, items: [], nextCursor: null, loading: false, error: describeError(e) }));
  }, [key, reloadTick]);

  const more = () => {
    if (list.loading || !list.nextCursor || list.key !== key) return;
    const cursor = list.nextCursor;
    setList({ ...list, loading: true });
    get<Page<MessageSummary>>(listUrl(current, cursor)!)
      .then((p) => listKeyRef.current === key && setList((s) => ({ key, items: [...s.items, ...p.items.filter((m) => !s.items.some((x) => x.id === m.id))], nextCursor: p.nextCursor, loading: false, error: null })))
      .catch((e) => listKeyRef.current === key && setList((s) => ({ ...s, loading: false, error: describeError(e) })));
  };

  // Back to the list: focus returns to the message that was open.
  const pane = route.pane;
  useEffect(() => {
    if (pane.kind === 'open') lastOpened.current = pane.open.entryId;
    if (pane.kind === 'none' && lastOpened.current) {
      const id = lastOpened.current;
      requestAnimationFrame(() => (document.querySelector(`a[data-entry-id="${CSS.escape(id)}"]`) as HTMLElement | null)?.focus());
    }
    setMenuOpen(false);
  }, [pane.kind === 'open' ? pane.open.entryId : pane.kind === 'compose' ? pane.draftId : '', key]);

  // The phone's drawer: focus goes into it when it opens, Escape closes it and returns to the menu button.
  useEffect(() => {
    if (!menuOpen) return;
    (document.querySelector('#sidebar .compose-button') as HTMLElement | null)?.focus();
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== 'Escape') return;
      setMenuOpen(false);
      (document.querySelector('.menu-button') as HTMLElement | null)?.focus();
    };
    addEventListener('keydown', onKey);
    return () => removeEventListener('keydown', onKey);
  }, [menuOpen]);

  const goList = () => {
    location.hash = listHash(current);
  };

  const compose = async (body: Record<string, unknown>, path = '/api/drafts') => {
    try {
      const d = await post<Draft>(path, body);
      location.hash = composeHash(current, d.id);
    } catch (e) {
      announce(describeError(e));
    }
  };

  const newMessage = () => {
    const mb = current.kind === 'folder' ? mailboxes?.find((m) => m.id === current.mailboxId) : null;
    void compose(mb && mb.kind === 'shared' && mb.canSendAs ? { fromMailboxId: mb.id } : {});
  };

  const setUnread = (entryId: string, unread: boolean) => {
    setList((s) => ({ ...s, items: s.items.map((m) => (m.id === entryId ? { ...m, unread } : m)) }));
    loadMailboxes();
  };

  const readerActions = {
    onBack: goList,
    onReply: (entryId: string, mode: ReplyMode) => void compose({ entryId, mode }, '/api/compose/reply-template'),
    onTrash: async (entryId: string) => {
      try {
        await post(`/api/messages/${encodeURIComponent(entryId)}/trash`);
        setList((s) => ({ ...s, items: s.items.filter((m) => m.id !== entryId) }));
        lastOpened.current = null;
        announce(t('movedToTrash'));
        goList();
        loadMailboxes();
      } catch (e) {
        announce(describeError(e));
      }
    },
    onRestore: async (entryId: string) => {
      try {
        await post(`/api/messages/${encodeURIComponent(entryId)}/restore`);
        setList((s) => ({ ...s, items: current.kind === 'folder' && current.folder === 'trash' ? s.items.filter((m) => m.id !== entryId) : s.items }));
        announce(t('restored'));
        goList();
        loadMailboxes();
      } catch (e) {
        announce(describeError(e));
      }
    },
    onReadChanged: setUnread,
    announce,
    describeError,
  };

  const signOut = async () => {
    try {
      await post('/api/session/logout');
    } catch {
      /* signed out anyway when the session is gone */
    }
    toSignin();
  };

  const [q, setQ] = useState(current.kind === 'search' ? current.q : '');
  useEffect(() => {
    setQ(current.kind === 'search' ? current.q : '');
  }, [key]);

  const heading = (() => {
    if (current.kind === 'search') return t('searchResults', { q: current.q });
    if (current.kind === 'drafts') return t('drafts');
    const mb = mailboxes?.find((m) => m.id === current.mailboxId);
    const f = folderLabel(current.folder, t);
    return mb && mb.kind === 'shared' ? `${f} · ${mb.displayName || mb.address}` : f;
  })();

  const i18n = useMemo(() => ({ lang, t, setLang }), [lang, t]);
  const showDrafts = current.kind === 'drafts' || (current.kind === 'folder' && current.folder === 'drafts');

  return (
    <I18nContext.Provider value={i18n}>
      <div class={`shell pane-${pane.kind}${menuOpen ? ' menu-open' : ''}`}>
        <header class="topbar">
          <button type="button" class="menu-button" aria-expanded={menuOpen ? 'true' : 'false'} aria-controls="sidebar" onClick={() => setMenuOpen(!menuOpen)}>
            <span aria-hidden="true">☰</span>
            <span class="sr-only">{t('menu')}</span>
          </button>
          <div class="brand">
            {session.tenant.logoDataUrl && <img class="logo" src={session.tenant.logoDataUrl} alt="" />}
            <span class="brand-name">{brandName}</span>
          </div>
          <form
            class="search"
            role="search"
            onSubmit={(e) => {
              e.preventDefault();
              const v = q.trim();
              if (v) location.hash = listHash({ kind: 'search', q: v });
            }}
          >
            <label for="search-input" class="sr-only">{t('search')}</label>
            <input id="search-input" type="search" placeholder={t('search')} value={q} maxLength={200} onInput={(e) => setQ((e.target as HTMLInputElement).value)} />
            <button type="submit">{t('searchButton')}</button>
          </form>
        </header>
        <nav
          id="sidebar"
          class="sidebar"
          aria-label={t('folders')}
          // A folder link closes the phone's drawer even when it is the folder already shown (the route does not change then).
          onClick={(e) => (e.target as Element).closest?.('a[href]') && setMenuOpen(false)}
        >
          <button type="button" class="primary compose-button" onClick={newMessage}>
            {t('compose')}
          </button>
          <Folders mailboxes={mailboxes} session={session} current={current} t={t} />
          <div class="account">
            <p class="signed-in">{t('signedInAs', { name: session.employee.displayName || session.employee.address })}</p>
            <label for="lang-select">{t('language')}</label>
            <select id="lang-select" value={lang} onChange={(e) => setLang((e.target as HTMLSelectElement).value as Lang)}>
              <option value="de" lang="de">Deutsch</option>
              <option value="en" lang="en">English</option>
            </select>
            <button type="button" class="signout" onClick={signOut}>{t('signOut')}</button>
          </div>
          <p class="sync-note" data-testid="sync-note">{t('syncNote')}</p>
        </nav>
        <main class="content" id="content">
          <div class="list-pane">
            {showDrafts ? (
              <DraftList drafts={drafts.items} error={drafts.error} heading={t('drafts')} hrefOf={(id) => composeHash(current, id)} />
            ) : (
              <MessageList list={current} state={list.key === key ? list : { ...list, items: [], loading: true }} heading={heading} selectedId={pane.kind === 'open' ? pane.open.entryId : null} onMore={more} onRetry={() => setReloadTick((n) => n + 1)} />
            )}
            <p class="sync-note sync-note-inline">{t('syncNote')}</p>
          </div>
          <div class="detail-pane">
            {pane.kind === 'open' && <ThreadView mailboxId={pane.open.mailboxId} threadId={pane.open.threadId} entryId={pane.open.entryId} actions={readerActions} />}
            {pane.kind === 'compose' && (
              <Composer
                key={pane.draftId}
                draftId={pane.draftId}
                senders={senders}
                limits={limits}
                announce={announce}
                describeError={describeError}
                onClose={() => {
                  goList();
                  setReloadTick((n) => n + 1);
                }}
                onSent={() => {
                  goList();
                  setReloadTick((n) => n + 1);
                  loadMailboxes();
                }}
                onDiscarded={() => {
                  goList();
                  setReloadTick((n) => n + 1);
                }}
              />
            )}
            {pane.kind === 'none' && (
              <div class="placeholder" aria-hidden="true">
                {session.tenant.logoDataUrl && <img src={session.tenant.logoDataUrl} alt="" />}
                <p>{brandName}</p>
              </div>
            )}
          </div>
        </main>
        <div class={'toast' + (status ? ' show' : '')} role="status" aria-live="polite" aria-atomic="true">
          {status}
        </div>
        {menuOpen && <div class="scrim" onClick={() => setMenuOpen(false)} aria-hidden="true" />}
      </div>
    </I18nContext.Provider>
  );
}

function Folders(props: { mailboxes: Mailbox[] | null; session: Session; current: ListRoute; t: T }) {
  const { t, current } = props;
  const own = props.mailboxes?.find((m) => m.kind === 'own') ?? null;
  const shared = props.mailboxes?.filter((m) => m.kind === 'shared') ?? [];
  const ownId = own?.id ?? props.session.employee.mailboxId;
  const isCurrent = (mailboxId: string, folder: FolderName) => current.kind === 'folder' && current.mailboxId === mailboxId && current.folder === folder;
  const link = (mb: Mailbox | null, mailboxId: string, folder: FolderName) => {
    const f = mb?.folders.find((x) => x.name === folder);
    const unread = f && folder !== 'sent' && folder !== 'trash' ? f.unread : 0;
    return (
      <li key={folder}>
        <a href={listHash({ kind: 'folder', mailboxId, folder })} aria-current={isCurrent(mailboxId, folder) ? 'page' : undefined} class={unread ? 'has-unread' : ''}>
          <span>{t(folder)}</span>
          {unread > 0 && (
            <span class="count">
              <span aria-hidden="true">{unread}</span>
              <span class="sr-only">{t('unreadCount', { n: unread })}</span>
            </span>
          )}
        </a>
      </li>
    );
  };
  return (
    <div class="folders">
      <h2 class="mailbox-name">{own?.displayName || props.session.employee.displayName || props.session.employee.address}</h2>
      <ul>
        {link(own, ownId, 'inbox')}
        <li key="drafts">
          <a href={listHash({ kind: 'drafts' })} aria-current={current.kind === 'drafts' ? 'page' : undefined}>
            <span>{t('drafts')}</span>
          </a>
        </li>
        {link(own, ownId, 'sent')}
        {link(own, ownId, 'trash')}
      </ul>
      {shared.length > 0 && (
        <>
          <h2 class="shared-heading">{t('sharedMailboxes')}</h2>
          {shared.map((mb) => (
            <div class="shared" key={mb.id}>
              <h3 class="mailbox-name">{mb.displayName || mb.address}</h3>
              <ul>
                {link(mb, mb.id, 'inbox')}
                {link(mb, mb.id, 'sent')}
                {link(mb, mb.id, 'trash')}
              </ul>
            </div>
          ))}
        </>
      )}
    </div>
  );
}
