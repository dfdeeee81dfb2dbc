import { deliveryJobId, indexJobId, recoveredDeliveryJobId } from './queue-names';

// BullMQ refuses a custom id that contains ':' unless it has exactly three parts.
const acceptedByBullmq = (id: string) => !id.includes(':') || id.split(':').length === 3;

describe('job ids', () => {
  const messageId = '0b5c2f9e-4f47-4a57-9f2e-8d1d4b3c2a10';

  it('are deterministic for the same work', () => {
    expect(deliveryJobId(messageId, 1764086400000)).toBe(deliveryJobId(messageId, new Date(1764086400000)));
    expect(indexJobId(messageId)).toBe(indexJobId(messageId));
  });

  it('differ for a different due time and for a recovered job', () => {
    const first = deliveryJobId(messageId, 1);
    expect(deliveryJobId(messageId, 2)).not.toBe(first);
    expect(recoveredDeliveryJobId(first, 5)).not.toBe(first);
  });

  it('are ids BullMQ accepts (regression: index jobs were refused for containing ":")', () => {
    for (const id of [deliveryJobId(messageId, 1), indexJobId(messageId), recoveredDeliveryJobId(deliveryJobId(messageId, 1), 2)]) {
      expect(acceptedByBullmq(id)).toBe(true);
      expect(`${parseInt(id, 10)}`).not.toBe(id);
    }
  });
});
