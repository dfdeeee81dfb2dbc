import { DataTerminatorScanner, messageIdOf } from './data-terminator';

describe('DataTerminatorScanner', () => {
  it('finds the terminator inside one chunk and says where the next command starts', () => {
    const s = new DataTerminatorScanner();
    const chunk = Buffer.from('Subject: x\r\n\r\nbody\r\n.\r\nQUIT\r\n');
    const end = s.feed(chunk);
    expect(chunk.subarray(end).toString()).toBe('QUIT\r\n');
  });

  it('finds a terminator split across chunks at every position', () => {
    const msg = 'Subject: x\r\n\r\nline one\r\n.\r\n';
    for (let cut = 1; cut < msg.length; cut++) {
      const s = new DataTerminatorScanner();
      expect(s.feed(Buffer.from(msg.slice(0, cut)))).toBe(msg.slice(0, cut).endsWith('\r\n.\r\n') ? cut : -1);
      if (cut < msg.length) expect(s.feed(Buffer.from(msg.slice(cut)))).toBe(msg.length - cut);
    }
  });

  it('ends an empty message at once and ignores dot-stuffed lines', () => {
    expect(new DataTerminatorScanner().feed(Buffer.from('.\r\n'))).toBe(3);
    const s = new DataTerminatorScanner();
    expect(s.feed(Buffer.from('a\r\n..\r\nb\r\n'))).toBe(-1);
  });
});

describe('messageIdOf', () => {
  it('reads a folded Message-ID from the header block only', () => {
    expect(messageIdOf('From: a\r\nMessage-ID:\r\n <abc@x>\r\n\r\nMessage-ID: <body@x>')).toBe('abc@x');
    expect(messageIdOf('From: a\r\n\r\nMessage-ID: <body@x>')).toBeNull();
  });
});
