import { useInfiniteQuery, useMutation, useQueryClient, type InfiniteData, type QueryClient } from '@tanstack/react-query';
import { useEffect, useMemo } from 'react';
import { client, unwrap } from '../api/client';
import { ACTIVE_STATUSES, type Page, type Task, type TaskListQuery, type TaskStatus, type TaskType } from '../api/types';
import { taskWatch } from './taskWatch';
import { meKey } from './useSession';

export interface TaskFilters {
  type?: TaskType;
  status?: TaskStatus;
}

/** Every task query's key, under one root: invalidating `taskKeys.all` refreshes lists and single tasks. */
export const taskKeys = {
  all: ['tasks'] as const,
  lists: () => [...taskKeys.all, 'list'] as const,
  list: (filters: TaskFilters, limit: number) => [...taskKeys.lists(), filters.type ?? null, filters.status ?? null, limit] as const,
  one: (id: string | null) => [...taskKeys.all, 'one', id] as const,
};
/** The root of every task query (= taskKeys.all). */
export const tasksKey = taskKeys.all;

/** GET /api/ai/tasks: one page of the user's tasks, newest first (empty filters are left out). */
export function fetchTasks(q: TaskListQuery, signal?: AbortSignal): Promise<Page<Task>> {
  const query = { type: q.type, status: q.status, limit: q.limit, cursor: q.cursor ?? undefined };
  return unwrap(client.GET('/api/ai/tasks', { params: { query }, signal }));
}

/** GET /api/ai/tasks/{task_id}. */
export function fetchTask(id: string): Promise<Task> {
  return unwrap(client.GET('/api/ai/tasks/{task_id}', { params: { path: { task_id: id } } }));
}
type TaskPages = InfiniteData<Page<Task>, string | null>;

export function isActive(task: Pick<Task, 'status'>): boolean {
  return ACTIVE_STATUSES.includes(task.status);
}

/** Polling backoff: 1 s, then ×1.5 per refresh, capped at 5 s. */
export function pollDelay(refreshesSinceChange: number): number {
  return Math.min(5000, Math.round(1000 * 1.5 ** Math.max(0, refreshesSinceChange)));
}

export function useTaskFeed(filters: TaskFilters, limit = 24) {
  const query = useInfiniteQuery({
    queryKey: taskKeys.list(filters, limit),
    queryFn: ({ pageParam, signal }) => fetchTasks({ ...filters, limit, cursor: pageParam }, signal),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.next_cursor ?? undefined,
  });

  const tasks = useMemo(() => query.data?.pages.flatMap((p) => p.items) ?? [], [query.data]);

  // Lists never poll: the running tasks they show are handed to the watcher,
  // which polls only those and patches the answers into every list.
  useEffect(() => {
    tasks.forEach((t) => taskWatch.add(t));
  }, [tasks]);

  return { ...query, tasks };
}

/** Replaces a task (matched by id) in every cached list; a deleted one (null) is removed. */
export function patchTaskInLists(qc: QueryClient, id: string, task: Task | null): void {
  qc.setQueriesData<TaskPages>({ queryKey: taskKeys.lists() }, (data) => {
    if (!data?.pages.some((p) => p.items.some((t) => t.id === id))) return data;
    return {
      ...data,
      pages: data.pages.map((p) => ({
        ...p,
        items: task ? p.items.map((t) => (t.id === id ? task : t)) : p.items.filter((t) => t.id !== id),
      })),
    };
  });
}

function listAccepts(key: readonly unknown[], task: Task): boolean {
  const [, , type, status] = key;
  return (type === null || type === task.type) && (status === null || status === task.status);
}

/** Puts a just-created task at the top of every matching list at once, then refreshes from the server. */
export function useTaskCreated() {
  const qc = useQueryClient();
  return (task: Task) => {
    taskWatch.add(task);
    qc.setQueriesData<TaskPages>({ queryKey: taskKeys.lists(), predicate: (q) => listAccepts(q.queryKey, task) }, (data) => {
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
    mutationFn: (id: string) => unwrap(client.POST('/api/ai/tasks/{task_id}/cancel', { params: { path: { task_id: id } } })),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: tasksKey });
      void qc.invalidateQueries({ queryKey: meKey });
    },
  });
}

export function useDeleteTask() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => unwrap(client.DELETE('/api/ai/tasks/{task_id}', { params: { path: { task_id: id } } })),
    onSuccess: (_data, id) => {
      taskWatch.remove(id);
      qc.setQueriesData<TaskPages>({ queryKey: taskKeys.lists() }, (data) =>
        data ? { ...data, pages: data.pages.map((p) => ({ ...p, items: p.items.filter((t) => t.id !== id) })) } : data,
      );
    },
  });
}
