import { createTrackLimiter } from '../../src/tracks/createTrackLimiter';
import { marbles } from '../../src/testing/marbles';

describe('createTrackLimiter', () => {
  it('starts waiting streams by priority, then by arrival, as slots free up', () => {
    const limiter = createTrackLimiter({ gpu: 1 });
    marbles(({ cold, expectObservable, expectSubscriptions }) => {
      const running = cold('--a|');
      const low = cold('-l|');
      const high = cold('-h|');
      expectObservable(limiter.run('gpu', running)).toBe('--a|');
      expectObservable(limiter.run('gpu', low, 0)).toBe('------l|');
      expectObservable(limiter.run('gpu', high, 5)).toBe('----h|');
      expectSubscriptions(high.subscriptions).toBe('---^-!');
      expectSubscriptions(low.subscriptions).toBe('-----^-!');
    });
  });

  it('drops a waiting stream from the queue when it is unsubscribed before it starts', () => {
    const limiter = createTrackLimiter({ gpu: 1 });
    marbles(({ cold, expectObservable, expectSubscriptions }) => {
      const running = cold('----a|');
      const impatient = cold('-i|');
      const next = cold('-n|');
      expectObservable(limiter.run('gpu', running)).toBe('----a|');
      expectObservable(limiter.run('gpu', impatient), '^-!').toBe('---');
      expectObservable(limiter.run('gpu', next)).toBe('------n|');
      expectSubscriptions(impatient.subscriptions).toBe([]);
      expectSubscriptions(next.subscriptions).toBe('-----^-!');
    });
    expect(limiter.stats('gpu')).toEqual({ running: 0, waiting: 0 });
  });

  it('frees the slot when a running stream errors or is unsubscribed', () => {
    const limiter = createTrackLimiter({ gpu: 1 });
    marbles(({ cold, expectObservable }) => {
      expectObservable(limiter.run('gpu', cold('--#'))).toBe('--#');
      expectObservable(limiter.run('gpu', cold('-----')), '^----!').toBe('');
      expectObservable(limiter.run('gpu', cold('-x|'))).toBe('------x|');
    });
  });

  it('passes kinds without a limit straight through and rejects a bad limit', () => {
    const limiter = createTrackLimiter({ gpu: 1 });
    marbles(({ cold, expectObservable }) => {
      const source = cold('-a|');
      expectObservable(limiter.run('cloud', source)).toBe('-a|');
      expectObservable(limiter.run('cloud', source)).toBe('-a|');
    });
    expect(() => createTrackLimiter({ gpu: 0 })).toThrow(
      /limit for 'gpu' must be a whole number of at least 1, got 0/,
    );
  });
});
