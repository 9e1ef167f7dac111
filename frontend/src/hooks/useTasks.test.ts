import { describe, expect, it } from 'vitest';
import { pollDelay } from './useTasks';

describe('task polling backoff', () => {
  it('starts at 1 s and grows to a 5 s ceiling', () => {
    expect([0, 1, 2, 3, 4, 5, 10].map(pollDelay)).toEqual([1000, 1500, 2250, 3375, 5000, 5000, 5000]);
  });
});
