/**
 * The envelope part of an Exchange journal report (the text/plain first part
 * of an "envelope journal report", Exchange 2007 and later, Exchange Online):
 *
 *   Sender: alice@contoso.com
 *   Subject: Quarterly figures
 *   Message-Id: <abc@contoso.com>
 *   To: bob@contoso.com
 *   Cc: team@contoso.com, Expanded: dl@contoso.com
 *   Bcc: carol@contoso.com
 *   Recipient: dave@contoso.com, Forwarded: erin@contoso.com
 *
 * `Recipient:` is Exchange 2007's form; later versions say To/Cc/Bcc.
 * `Expanded:` names the group a recipient was expanded from and `Forwarded:`
 * the mailbox that forwarded to it: the first address on the line is the one
 * that received the message.
 */
export interface JournalEnvelope {
  sender: string | null;
  onBehalfOf: string | null;
  subject: string | null;
  messageId: string | null;
  /** Distinct, in report order, as written. */
  recipients: string[];
}

const ADDRESS = /<?([^\s<>,;"]+@[^\s<>,;"]+?)>?(?=$|[\s,;])/;

function firstAddress(value: string): string | null {
  const m = ADDRESS.exec(value.trim());
  return m ? m[1] : null;
}

export function parseJournalEnvelope(text: string): JournalEnvelope {
  const env: JournalEnvelope = { sender: null, onBehalfOf: null, subject: null, messageId: null, recipients: [] };
  const seen = new Set<string>();
  for (const line of text.split(/\r?\n/)) {
    const m = /^([A-Za-z-]+):[ \t]?(.*)$/.exec(line);
    if (!m) continue;
    const key = m[1].toLowerCase();
    const value = m[2].trim();
    switch (key) {
      case 'sender':
        env.sender ??= value === '<>' ? '' : firstAddress(value);
        break;
      case 'on-behalf-of':
        env.onBehalfOf ??= firstAddress(value);
        break;
      case 'subject':
        env.subject ??= m[2];
        break;
      case 'message-id':
        env.messageId ??= value || null;
        break;
      case 'recipient':
      case 'to':
      case 'cc':
      case 'bcc': {
        const a = firstAddress(value);
        if (a && !seen.has(a.toLowerCase())) {
          seen.add(a.toLowerCase());
          env.recipients.push(a);
        }
        break;
      }
      default:
        break;
    }
  }
  return env;
}

/** A report is usable only if it says who sent it or to whom. */
export function isUsableEnvelope(env: JournalEnvelope): boolean {
  return env.sender !== null || env.recipients.length > 0;
}
