import { isUsableEnvelope, parseJournalEnvelope } from './journal-envelope';

describe('parseJournalEnvelope', () => {
  it('reads the envelope lines of an Exchange journal report', () => {
    const env = parseJournalEnvelope(
      ['Sender: alice@contoso.com', 'Subject: Quarterly: figures', 'Message-Id: <abc@contoso.com>', 'To: bob@contoso.com', 'Cc: Team@contoso.com, Expanded: dl@contoso.com', 'Bcc: carol@contoso.com', ''].join('\r\n'),
    );
    expect(env).toEqual({ sender: 'alice@contoso.com', onBehalfOf: null, subject: 'Quarterly: figures', messageId: '<abc@contoso.com>', recipients: ['bob@contoso.com', 'Team@contoso.com', 'carol@contoso.com'] });
    expect(isUsableEnvelope(env)).toBe(true);
  });

  it("reads Exchange 2007's Recipient lines, takes the first address of Forwarded/Expanded lines and drops duplicates", () => {
    const env = parseJournalEnvelope('Sender: a@x.example\nRecipient: b@x.example, Forwarded: c@x.example\nRecipient: <B@x.example>\nOn-Behalf-Of: boss@x.example\n');
    expect(env.recipients).toEqual(['b@x.example']);
    expect(env.onBehalfOf).toBe('boss@x.example');
  });

  it('keeps the null sender as empty and ignores lines that are not envelope fields', () => {
    const env = parseJournalEnvelope('Sender: <>\nX-Other: y\nnonsense\nTo: not an address\n');
    expect(env.sender).toBe('');
    expect(env.recipients).toEqual([]);
  });

  it('calls text without sender or recipients unusable', () => {
    expect(isUsableEnvelope(parseJournalEnvelope('Hello, this is not a journal report.'))).toBe(false);
  });
});
