/** German and English. The language is the reader's choice, else the tenant's, else the browser's. */
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';

export type Lang = 'en' | 'de';

const en = {
  appName: 'Webmail',
  loading: 'Loading…',
  inbox: 'Inbox',
  sent: 'Sent',
  trash: 'Trash',
  drafts: 'Drafts',
  folders: 'Folders',
  sharedMailboxes: 'Shared mailboxes',
  compose: 'New message',
  search: 'Search mail',
  searchButton: 'Search',
  searchResults: 'Results for “{q}”',
  signOut: 'Sign out',
  language: 'Language',
  menu: 'Folders and settings',
  closeMenu: 'Close menu',
  syncNote: 'Read state, flags and deletions here are not copied back to Exchange. Mail you send here is.',
  noMessages: 'No messages here.',
  noResults: 'Nothing found.',
  more: 'Load more',
  unreadCount: '{n} unread',
  unread: 'Unread',
  hasAttachments: 'Has attachments',
  authWarningShort: 'Sender could not be verified',
  noSubject: '(no subject)',
  unknownSender: '(unknown sender)',
  to: 'To',
  cc: 'Cc',
  bcc: 'Bcc',
  from: 'From',
  date: 'Date',
  subject: 'Subject',
  back: 'Back to list',
  reply: 'Reply',
  replyAll: 'Reply all',
  forward: 'Forward',
  markUnread: 'Mark unread',
  markRead: 'Mark read',
  delete: 'Delete',
  restore: 'Restore',
  movedToTrash: 'Moved to Trash. Deletions are not copied back to Exchange.',
  restored: 'Message restored.',
  showImages: 'Show images',
  imagesBlocked: 'Remote images in this message are blocked to protect your privacy ({n}).',
  authWarning: 'Warning: this message failed sender verification (SPF/DKIM/DMARC). It may not come from who it claims to be. Do not open links or attachments you did not expect.',
  attachments: 'Attachments',
  download: 'Download {name}',
  plainText: 'Message text',
  htmlFrame: 'Message content',
  unparseable: 'This message could not be read completely; its raw text is shown.',
  thread: 'Conversation',
  messagesInThread: '{n} messages',
  showMessage: 'Show message from {name}',
  newMessage: 'New message',
  editDraft: 'Draft',
  send: 'Send',
  sending: 'Sending…',
  sent_ok: 'Message sent.',
  saveDraft: 'Save draft',
  draftSaved: 'Draft saved.',
  discard: 'Discard',
  discarded: 'Draft discarded.',
  closeCompose: 'Close',
  addAttachment: 'Attach files',
  attachLimit: 'Up to {size} per file, {total} per message.',
  removeAttachment: 'Remove {name}',
  uploading: 'Uploading…',
  body: 'Message',
  sendAs: 'Send as',
  remove: 'Remove {name}',
  suggestions: 'Suggestions',
  addRecipientHint: 'Type a name or address; Enter adds it.',
  noDrafts: 'No drafts.',
  errorGeneric: 'Something went wrong: {msg}',
  errorNetwork: 'The server cannot be reached. Check your connection and try again.',
  retry: 'Try again',
  today: 'Today',
  signedInAs: 'Signed in as {name}',
  skipToContent: 'Skip to messages',
  loadingMessage: 'Loading message…',
  me: 'me',
};

export type Key = keyof typeof en;

const de: Record<Key, string> = {
  appName: 'Webmail',
  loading: 'Wird geladen …',
  inbox: 'Posteingang',
  sent: 'Gesendet',
  trash: 'Papierkorb',
  drafts: 'Entwürfe',
  folders: 'Ordner',
  sharedMailboxes: 'Gemeinsame Postfächer',
  compose: 'Neue Nachricht',
  search: 'E-Mails durchsuchen',
  searchButton: 'Suchen',
  searchResults: 'Ergebnisse für „{q}“',
  signOut: 'Abmelden',
  language: 'Sprache',
  menu: 'Ordner und Einstellungen',
  closeMenu: 'Menü schließen',
  syncNote: 'Gelesen-Status, Markierungen und Löschungen werden nicht nach Exchange zurückübertragen. Hier gesendete E-Mails schon.',
  noMessages: 'Keine Nachrichten.',
  noResults: 'Nichts gefunden.',
  more: 'Weitere laden',
  unreadCount: '{n} ungelesen',
  unread: 'Ungelesen',
  hasAttachments: 'Mit Anhang',
  authWarningShort: 'Absender nicht bestätigt',
  noSubject: '(kein Betreff)',
  unknownSender: '(unbekannter Absender)',
  to: 'An',
  cc: 'Cc',
  bcc: 'Bcc',
  from: 'Von',
  date: 'Datum',
  subject: 'Betreff',
  back: 'Zurück zur Liste',
  reply: 'Antworten',
  replyAll: 'Allen antworten',
  forward: 'Weiterleiten',
  markUnread: 'Als ungelesen markieren',
  markRead: 'Als gelesen markieren',
  delete: 'Löschen',
  restore: 'Wiederherstellen',
  movedToTrash: 'In den Papierkorb verschoben. Löschungen werden nicht nach Exchange übertragen.',
  restored: 'Nachricht wiederhergestellt.',
  showImages: 'Bilder anzeigen',
  imagesBlocked: 'Externe Bilder in dieser Nachricht sind zum Schutz Ihrer Privatsphäre blockiert ({n}).',
  authWarning: 'Achtung: Diese Nachricht hat die Absenderprüfung (SPF/DKIM/DMARC) nicht bestanden. Sie stammt möglicherweise nicht vom angegebenen Absender. Öffnen Sie keine unerwarteten Links oder Anhänge.',
  attachments: 'Anhänge',
  download: '{name} herunterladen',
  plainText: 'Nachrichtentext',
  htmlFrame: 'Nachrichteninhalt',
  unparseable: 'Diese Nachricht konnte nicht vollständig gelesen werden; ihr Rohtext wird angezeigt.',
  thread: 'Unterhaltung',
  messagesInThread: '{n} Nachrichten',
  showMessage: 'Nachricht von {name} anzeigen',
  newMessage: 'Neue Nachricht',
  editDraft: 'Entwurf',
  send: 'Senden',
  sending: 'Wird gesendet …',
  sent_ok: 'Nachricht gesendet.',
  saveDraft: 'Entwurf speichern',
  draftSaved: 'Entwurf gespeichert.',
  discard: 'Verwerfen',
  discarded: 'Entwurf verworfen.',
  closeCompose: 'Schließen',
  addAttachment: 'Dateien anhängen',
  attachLimit: 'Bis {size} pro Datei, {total} pro Nachricht.',
  removeAttachment: '{name} entfernen',
  uploading: 'Wird hochgeladen …',
  body: 'Nachricht',
  sendAs: 'Senden als',
  remove: '{name} entfernen',
  suggestions: 'Vorschläge',
  addRecipientHint: 'Name oder Adresse eingeben; Eingabetaste fügt hinzu.',
  noDrafts: 'Keine Entwürfe.',
  errorGeneric: 'Etwas ist schiefgegangen: {msg}',
  errorNetwork: 'Der Server ist nicht erreichbar. Prüfen Sie die Verbindung und versuchen Sie es erneut.',
  retry: 'Erneut versuchen',
  today: 'Heute',
  signedInAs: 'Angemeldet als {name}',
  skipToContent: 'Zu den Nachrichten springen',
  loadingMessage: 'Nachricht wird geladen …',
  me: 'ich',
};

const dictionaries: Record<Lang, Record<Key, string>> = { en, de };

export function pickLanguage(tenantLanguage: string | null | undefined): Lang {
  const stored = localStorage.getItem('webmail.lang');
  if (stored === 'en' || stored === 'de') return stored;
  const tenant = (tenantLanguage ?? '').slice(0, 2).toLowerCase();
  if (tenant === 'en' || tenant === 'de') return tenant;
  for (const l of navigator.languages ?? [navigator.language]) {
    const two = l.slice(0, 2).toLowerCase();
    if (two === 'de' || two === 'en') return two;
  }
  return 'en';
}

export function rememberLanguage(lang: Lang): void {
  localStorage.setItem('webmail.lang', lang);
}

export type T = (key: Key, vars?: Record<string, string | number>) => string;

export function translator(lang: Lang): T {
  const d = dictionaries[lang];
  return (key, vars) => {
    let s = d[key] ?? en[key];
    if (vars) for (const [k, v] of Object.entries(vars)) s = s.split(`{${k}}`).join(String(v));
    return s;
  };
}

export interface I18n {
  lang: Lang;
  t: T;
  setLang(lang: Lang): void;
}

export const I18nContext = createContext<I18n>({ lang: 'en', t: translator('en'), setLang: () => {} });
export const useI18n = () => useContext(I18nContext);

export function formatDate(iso: string, lang: Lang, long = false): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const locale = lang === 'de' ? 'de-DE' : 'en-GB';
  if (long) return new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' }).format(d);
  const now = new Date();
  if (d.toDateString() === now.toDateString()) return new Intl.DateTimeFormat(locale, { hour: '2-digit', minute: '2-digit' }).format(d);
  if (d.getFullYear() === now.getFullYear()) return new Intl.DateTimeFormat(locale, { day: 'numeric', month: 'short' }).format(d);
  return new Intl.DateTimeFormat(locale, { dateStyle: 'short' }).format(d);
}

export function formatSize(bytes: number, lang: Lang): string {
  const locale = lang === 'de' ? 'de-DE' : 'en-GB';
  const nf = (n: number) => new Intl.NumberFormat(locale, { maximumFractionDigits: 1 }).format(n);
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${nf(bytes / 1024)} KB`;
  return `${nf(bytes / 1024 / 1024)} MB`;
}
