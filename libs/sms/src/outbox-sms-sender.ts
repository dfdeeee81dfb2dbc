import { randomBytes } from 'node:crypto';
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { OutgoingText, SentText, SmsSender } from './sms-sender.port';

/** One recorded text. The outbox holds codes in plaintext, which is why production refuses this driver. */
export interface OutboxEntry {
  sid: string;
  to: string;
  body: string;
  reference: string;
  at: string;
  /** The tenant's own sender, when it has one. */
  from?: string;
}

export function outboxPath(dataDir: string): string {
  return join(dataDir, 'sms-outbox.jsonl');
}

/**
 * Records texts in `$DATA_DIR/sms-outbox.jsonl` instead of sending them, so
 * the demo runs without a Twilio account: `npm run cli -- sms outbox` shows
 * them. One JSON line per text, appended (O_APPEND keeps lines whole).
 */
export class OutboxSmsSender implements SmsSender {
  readonly driver = 'outbox';

  constructor(private readonly file: string) {}

  async send(text: OutgoingText): Promise<SentText> {
    const entry: OutboxEntry = { sid: `OB${randomBytes(16).toString('hex')}`, to: text.to, body: text.body, reference: text.reference, at: new Date().toISOString(), ...(text.from ? { from: text.from } : {}) };
    await mkdir(dirname(this.file), { recursive: true });
    await appendFile(this.file, JSON.stringify(entry) + '\n', { encoding: 'utf8', mode: 0o600 });
    return { providerSid: entry.sid };
  }
}

/** The recorded texts, oldest first; none when the file does not exist yet. */
export async function readOutbox(file: string): Promise<OutboxEntry[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  return text
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as OutboxEntry);
}
