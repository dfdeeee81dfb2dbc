/**
 * Twilio's MessageStatus in a status callback, as our row state. Interim
 * states (queued, accepted, sending, scheduled) change nothing; 'sent' only
 * refreshes the time (our row is 'sent' once Twilio took it).
 */
export function stateFromTwilioStatus(status: string | undefined): 'sent' | 'delivered' | 'undelivered' | 'failed' | null {
  switch ((status ?? '').toLowerCase()) {
    case 'sent':
      return 'sent';
    case 'delivered':
    case 'read':
      return 'delivered';
    case 'undelivered':
      return 'undelivered';
    case 'failed':
    case 'canceled':
      return 'failed';
    default:
      return null;
  }
}
