import { textsForTransition } from './credentials-transition.effect';

describe('textsForTransition', () => {
  it('texts credentials to everyone on activation, from any state', () => {
    for (const fromMode of ['normal', 'drill', 'recovering'] as const) {
      expect(textsForTransition({ fromMode, toMode: 'active', drillMailboxIds: null })).toEqual({ kind: 'credentials', reason: 'activation', mailboxIds: null });
    }
  });

  it('texts only the drill mailboxes on a drill', () => {
    expect(textsForTransition({ fromMode: 'normal', toMode: 'drill', drillMailboxIds: ['a', 'b'] })).toEqual({ kind: 'credentials', reason: 'drill', mailboxIds: ['a', 'b'] });
    expect(textsForTransition({ fromMode: 'normal', toMode: 'drill', drillMailboxIds: null })).toEqual({ kind: 'credentials', reason: 'drill', mailboxIds: [] });
  });

  it('says back to normal when an event ends, not after a drill', () => {
    expect(textsForTransition({ fromMode: 'active', toMode: 'normal', drillMailboxIds: null })).toEqual({ kind: 'back-to-normal' });
    expect(textsForTransition({ fromMode: 'recovering', toMode: 'normal', drillMailboxIds: null })).toEqual({ kind: 'back-to-normal' });
    expect(textsForTransition({ fromMode: 'drill', toMode: 'normal', drillMailboxIds: null })).toBeNull();
    expect(textsForTransition({ fromMode: 'active', toMode: 'recovering', drillMailboxIds: null })).toBeNull();
  });
});
