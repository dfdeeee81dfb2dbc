/** JSON shapes of the webmail API (see the route contracts of the server side). */

export interface Address {
  name?: string | null;
  address: string;
}

export interface Session {
  csrfToken: string;
  employee: { address: string; displayName: string; mailboxId: string };
  tenant: { name: string; language: string | null; brandName: string | null; logoDataUrl: string | null; primaryColor: string | null; mode: string };
  sharedMailboxes: { mailboxId: string; address: string; displayName: string; canSendAs: boolean }[];
}

export type FolderName = 'inbox' | 'sent' | 'trash' | 'drafts';

export interface Mailbox {
  id: string;
  address: string;
  displayName: string;
  kind: 'own' | 'shared';
  canSendAs: boolean;
  folders: { name: FolderName; total: number; unread: number }[];
}

export interface MessageSummary {
  id: string;
  mailboxId: string;
  folder: string;
  threadId: string | null;
  from: Address | null;
  to: Address[];
  subject: string | null;
  snippet: string | null;
  date: string;
  unread: boolean;
  hasAttachments: boolean;
  authWarning: string | null;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface Thread {
  threadId: string;
  subject: string | null;
  messages: MessageSummary[];
}

export interface AttachmentInfo {
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
  folder: string;
  trashedFrom: string | null;
  threadId: string | null;
  from: Address | null;
  to: Address[];
  cc: Address[];
  replyTo: Address[];
  subject: string | null;
  date: string;
  unread: boolean;
  auth: { spf: string | null; dkim: string | null; dmarc: string | null; warning: string | null } | null;
  attachments: AttachmentInfo[];
  hasHtml: boolean;
  remoteImages: number;
  text: string | null;
  htmlUrl: string | null;
  unparseable: boolean;
  note: string | null;
}

export interface Sender {
  mailboxId: string;
  address: string;
  name: string;
  kind: 'own' | 'shared';
}

export interface DraftAttachment {
  id: string;
  filename: string;
  contentType: string;
  size: number;
}

export interface Draft {
  id: string;
  fromMailboxId: string;
  from: Address;
  to: Address[];
  cc: Address[];
  bcc: Address[];
  subject: string;
  text: string;
  mode: 'new' | 'reply' | 'replyAll' | 'forward';
  attachments: DraftAttachment[];
  totalBytes: number;
  updatedAt: string;
}

export interface DraftSummary {
  id: string;
  from: Address;
  to: Address[];
  subject: string;
  snippet: string;
  attachmentCount: number;
  updatedAt: string;
}

export interface Limits {
  maxAttachmentBytes: number;
  maxMessageBytes: number;
  maxRecipients: number;
}

export interface DirectoryResult {
  name: string;
  address: string;
  kind: string;
}
