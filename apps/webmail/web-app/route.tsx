/**
 * Where the reader is, kept in the URL's fragment so the back button (and a phone's back
 * gesture) goes from the message to the list, and a reload keeps the place.
 *   #/mb/<mailboxId>/<folder>[/open/<mailboxId>/<threadId|->/<entryId>][/compose/<draftId>]
 *   #/search/<query>[/open/…]
 *   #/drafts[/compose/<draftId>]
 */
import type { FolderName } from './types';

export type ListRoute = { kind: 'folder'; mailboxId: string; folder: FolderName } | { kind: 'search'; q: string } | { kind: 'drafts' };

export interface OpenMessage {
  mailboxId: string;
  threadId: string | null;
  entryId: string;
}

export type Pane = { kind: 'none' } | { kind: 'open'; open: OpenMessage } | { kind: 'compose'; draftId: string };

export interface Route {
  list: ListRoute | null;
  pane: Pane;
}

const FOLDERS: FolderName[] = ['inbox', 'sent', 'trash', 'drafts'];

export function parseRoute(hash: string): Route {
  const parts = hash.replace(/^#\/?/, '').split('/').map((p) => {
    try {
      return decodeURIComponent(p);
    } catch {
      return '';
    }
  });
  let list: ListRoute | null = null;
  let rest: string[] = [];
  if (parts[0] === 'mb' && parts[1] && FOLDERS.includes(parts[2] as FolderName)) {
    list = { kind: 'folder', mailboxId: parts[1], folder: parts[2] as FolderName };
    rest = parts.slice(3);
  } else if (parts[0] === 'search' && parts[1]) {
    list = { kind: 'search', q: parts[1] };
    rest = parts.slice(2);
  } else if (parts[0] === 'drafts') {
    list = { kind: 'drafts' };
    rest = parts.slice(1);
  }
  let pane: Pane = { kind: 'none' };
  if (rest[0] === 'open' && rest[1] && rest[3]) pane = { kind: 'open', open: { mailboxId: rest[1], threadId: rest[2] && rest[2] !== '-' ? rest[2] : null, entryId: rest[3] } };
  else if (rest[0] === 'compose' && rest[1]) pane = { kind: 'compose', draftId: rest[1] };
  return { list, pane };
}

export function listHash(list: ListRoute): string {
  if (list.kind === 'folder') return `#/mb/${encodeURIComponent(list.mailboxId)}/${list.folder}`;
  if (list.kind === 'search') return `#/search/${encodeURIComponent(list.q)}`;
  return '#/drafts';
}

export function openHash(list: ListRoute, open: OpenMessage): string {
  return `${listHash(list)}/open/${encodeURIComponent(open.mailboxId)}/${open.threadId ? encodeURIComponent(open.threadId) : '-'}/${encodeURIComponent(open.entryId)}`;
}

export function composeHash(list: ListRoute, draftId: string): string {
  return `${listHash(list)}/compose/${encodeURIComponent(draftId)}`;
}

export function listKey(list: ListRoute): string {
  return listHash(list);
}
