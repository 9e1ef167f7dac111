import { describe, expect, it } from 'vitest';
import type { Task } from '../api/types';
import { nextRefetchInterval, pollDelay } from './useTasks';

const task = (id: string, status: Task['status']) => ({ id, status }) as Task;

describe('task polling backoff', () => {
  it('starts at 1 s and grows to a 5 s ceiling', () => {
    expect([0, 1, 2, 3, 4, 5, 10].map(pollDelay)).toEqual([1000, 1500, 2250, 3375, 5000, 5000, 5000]);
  });

  it('stops polling when nothing is pending or generating', () => {
    const state = { signature: null, since: 0 };
    expect(nextRefetchInterval([task('a', 'COMPLETED'), task('b', 'FAILED')], 3, state)).toBe(false);
  });

  it('backs off while the same tasks run and restarts at 1 s when a new one is queued', () => {
    const state = { signature: null as string | null, since: 0 };
    const running = [task('a', 'GENERATING')];
    expect(nextRefetchInterval(running, 1, state)).toBe(1000);
    expect(nextRefetchInterval(running, 2, state)).toBe(1500);
    expect(nextRefetchInterval(running, 3, state)).toBe(2250);
    expect(nextRefetchInterval([task('b', 'PENDING'), ...running], 4, state)).toBe(1000);
  });
});
