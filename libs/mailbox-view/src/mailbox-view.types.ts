import type { AuthView } from './auth-warning';

/** Who is reading: an employee's own mailbox in one tenant (the webmail session's identity). */
export interface Viewer {
  tenantId: string;
  mailboxId: string;
}

export type ListedFolder = 'inbox' | 'sent' | 'trash';
export type Folder = ListedFolder | 'drafts';
export const LISTED_FOLDERS: ListedFolder[] = ['inbox', 'sent', 'trash'];
export const FOLDERS: Folder[] = ['inbox', 'sent', 'trash', 'drafts'];

export interface PermittedMailbox {
  id: string;
  address: string;
  displayName: string;
  kind: 'own' | 'shared';
  canSendAs: boolean;
}

export interface FolderCounts {
  name: ListedFolder;
  total: number;
  unread: number;
}

export interface MailboxView extends PermittedMailbox {
  folders: FolderCounts[];
}

export interface Person {
  name: string;
  address: string;
}

export interface MessageSummary {
  /** The mirror entry's id: one message in one folder of one mailbox. */
  id: string;
  mailboxId: string;
  folder: Folder;
  threadId: string;
  from: Person | null;
  to: Person[];
  subject: string | null;
  snippet: string | null;
  /** The Date header when sane, else arrival; ISO 8601. */
  date: string;
  unread: boolean;
  hasAttachments: boolean;
  authWarning: string | null;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface AttachmentView {
  index: number;
  filename: string | null;
  contentType: string;
  size: number;
  inline: boolean;
  url: string;
}

export interface MessageDetail {
  id: string;
  mailboxId: string;
  folder: Folder;
  trashedFrom: Folder | null;
  threadId: string;
  from: Person | null;
  sender: string;
  to: Person[];
  cc: Person[];
  replyTo: Person[];
  subject: string | null;
  date: string;
  receivedAt: string;
  messageIdHeader: string | null;
  inReplyTo: string | null;
  references: string[];
  unread: boolean;
  auth: AuthView | null;
  attachments: AttachmentView[];
  hasHtml: boolean;
  remoteImages: number;
  text: string | null;
  htmlUrl: string | null;
  /** The message could not be parsed; `text` shows the start of it raw. */
  unparseable: boolean;
  note: string | null;
}
