import { useInfiniteQuery, useMutation, useQueryClient, type InfiniteData } from '@tanstack/react-query';
import { useEffect, useMemo, useRef } from 'react';
import { api } from '../api/apiService';
import { ACTIVE_STATUSES, type Page, type Task, type TaskStatus, type TaskType } from '../api/types';
import { meKey } from './useSession';

export interface TaskFilters {
  type?: TaskType;
  status?: TaskStatus;
}

export const tasksKey = ['tasks'] as const;
type TaskPages = InfiniteData<Page<Task>, string | null>;

export function isActive(task: Pick<Task, 'status'>): boolean {
  return ACTIVE_STATUSES.includes(task.status);
}

/** Polling backoff: 1 s, then ×1.5 per refresh, capped at 5 s. */
export function pollDelay(refreshesSinceChange: number): number {
  return Math.min(5000, Math.round(1000 * 1.5 ** Math.max(0, refreshesSinceChange)));
}

/**
 * The refetch interval for a list: false when nothing is PENDING/GENERATING,
 * otherwise the backoff delay counted from the last change in the set of
 * running tasks (a newly queued task starts again at 1 s).
 */
export function nextRefetchInterval(
  tasks: readonly Task[],
  dataUpdateCount: number,
  state: { signature: string | null; since: number },
): number | false {
  const running = tasks.filter(isActive);
  if (running.length === 0) {
    state.signature = null;
    return false;
  }
  const signature = running.map((t) => `${t.id}:${t.status}`).join(',');
  if (signature !== state.signature) {
    state.signature = signature;
    state.since = dataUpdateCount;
  }
  return pollDelay(dataUpdateCount - state.since);
}

export function useTaskFeed(filters: TaskFilters, limit = 24) {
  const qc = useQueryClient();
  const backoff = useRef({ signature: null as string | null, since: 0 });
  const query = useInfiniteQuery({
    queryKey: [...tasksKey, 'list', filters.type ?? null, filters.status ?? null, limit],
    queryFn: ({ pageParam, signal }) => api.listTasks({ ...filters, limit, cursor: pageParam }, signal),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.next_cursor ?? undefined,
    refetchInterval: (q) =>
      nextRefetchInterval(q.state.data?.pages.flatMap((p) => p.items) ?? [], q.state.dataUpdateCount, backoff.current),
  });

  const tasks = useMemo(() => query.data?.pages.flatMap((p) => p.items) ?? [], [query.data]);

  // When a running task finishes, credits and quota on the header change.
  const running = useRef<Set<string>>(new Set());
  useEffect(() => {
    const now = new Set(tasks.filter(isActive).map((t) => t.id));
    const finished = [...running.current].some((id) => !now.has(id));
    running.current = now;
    if (finished) void qc.invalidateQueries({ queryKey: meKey });
  }, [tasks, qc]);

  return { ...query, tasks };
}

function listAccepts(key: readonly unknown[], task: Task): boolean {
  const [, , type, status] = key;
  return (type === null || type === task.type) && (status === null || status === task.status);
}

/** Puts a just-created task at the top of every matching list at once, then refreshes from the server. */
export function useTaskCreated() {
  const qc = useQueryClient();
  return (task: Task) => {
    qc.setQueriesData<TaskPages>({ queryKey: [...tasksKey, 'list'], predicate: (q) => listAccepts(q.queryKey, task) }, (data) => {
      if (!data?.pages.length) return data;
      const [first, ...rest] = data.pages;
      if (first.items.some((t) => t.id === task.id)) return data;
      return { ...data, pages: [{ ...first, items: [task, ...first.items] }, ...rest] };
    });
    void qc.invalidateQueries({ queryKey: tasksKey });
    void qc.invalidateQueries({ queryKey: meKey });
  };
}

export function useCancelTask() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => api.cancelTask(id),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: tasksKey });
      void qc.invalidateQueries({ queryKey: meKey });
    },
  });
}

export function useDeleteTask() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => api.deleteTask(id),
    onSuccess: (_data, id) => {
      qc.setQueriesData<TaskPages>({ queryKey: [...tasksKey, 'list'] }, (data) =>
        data ? { ...data, pages: data.pages.map((p) => ({ ...p, items: p.items.filter((t) => t.id !== id) })) } : data,
      );
    },
  });
}
