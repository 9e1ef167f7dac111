// "Reuse settings", "remix" and "extend" arrive as URL parameters (?reuse=, ?remix_of=, ?extend_of=) from a card.
import { useEffect, useRef } from 'react';
import { useSearchParams } from 'react-router-dom';
import type { Task } from '../../api/types';
import { useLatest } from '../../hooks/useLatest';
import { useTask } from './api';

/** Calls `apply(task)` once for `?reuse=<id>` (the task's prompt and settings go back into the form), then drops the parameter. */
export function useReuse(apply: (task: Task) => void): void {
  const [params, setParams] = useSearchParams();
  const id = params.get('reuse');
  const applied = useRef<string | null>(null);
  const task = useTask(id);
  const applyRef = useLatest(apply);
  useEffect(() => {
    if (!id || !task.data || applied.current === id) return;
    applied.current = id;
    applyRef.current(task.data);
    const next = new URLSearchParams(params);
    next.delete('reuse');
    setParams(next, { replace: true });
  }, [id, task.data, params, setParams, applyRef]);
}

export type SourceMode = 'remix' | 'extend';

/**
 * The video a remix/extend starts from (`?remix_of=` / `?extend_of=`), with a way to drop it.
 * `onRemixSource(task)` is called once per remixed video, when it has loaded (a remix starts
 * from the source's prompt).
 */
export function useVideoSource(onRemixSource?: (task: Task) => void): { mode: SourceMode | null; task: Task | undefined; clear: () => void } {
  const [params, setParams] = useSearchParams();
  const remix = params.get('remix_of');
  const extend = params.get('extend_of');
  const id = remix ?? extend;
  const task = useTask(id);
  const seeded = useRef<string | null>(null);
  const onRemix = useLatest(onRemixSource);
  useEffect(() => {
    if (!remix || !task.data || seeded.current === remix) return;
    seeded.current = remix;
    onRemix.current?.(task.data);
  }, [remix, task.data, onRemix]);
  return {
    mode: remix ? 'remix' : extend ? 'extend' : null,
    task: task.data,
    clear: () => {
      const next = new URLSearchParams(params);
      next.delete('remix_of');
      next.delete('extend_of');
      setParams(next, { replace: true });
    },
  };
}
