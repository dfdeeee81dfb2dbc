const TERMINATOR = Buffer.from('\r\n.\r\n');

/**
 * Finds the end of an SMTP DATA section (`CRLF . CRLF`) in a stream of chunks
 * without keeping the message: only the last four bytes of the previous chunk
 * are remembered, so a terminator split across chunks is still seen.
 */
export class DataTerminatorScanner {
  // The CRLF that ended the DATA command line counts, so an empty message (".\r\n") ends at once.
  private tail: Buffer = Buffer.from('\r\n');

  /**
   * Returns the offset in `chunk` just past the terminator, or -1 when the
   * chunk does not complete the DATA section.
   */
  feed(chunk: Buffer): number {
    const joined = this.tail.length ? Buffer.concat([this.tail, chunk]) : chunk;
    const at = joined.indexOf(TERMINATOR);
    if (at >= 0) {
      const end = at + TERMINATOR.length - this.tail.length;
      this.tail = Buffer.from('\r\n');
      return end;
    }
    this.tail = Buffer.from(joined.subarray(Math.max(0, joined.length - (TERMINATOR.length - 1))));
    return -1;
  }

  reset(): void {
    this.tail = Buffer.from('\r\n');
  }
}

/** The Message-ID of a header block (without angle brackets), or null. */
export function messageIdOf(head: string): string | null {
  const end = head.search(/\r?\n\r?\n/);
  const headers = (end >= 0 ? head.slice(0, end) : head).replace(/\r?\n[ \t]+/g, ' ');
  const m = /^message-id:\s*<?([^>\s]+)>?/im.exec(headers);
  return m ? m[1] : null;
}
