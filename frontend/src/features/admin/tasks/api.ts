// GET /api/admin/tasks (filtered by status and type, refreshed every 10 s) and
// POST /api/admin/tasks/{task_id}/retry.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { client, unwrap } from '../../../api/client';
import type { TaskStatus, TaskType } from '../../../api/generated';
import { adminKeys } from '../keys';

export interface AdminTaskFilter {
  status: TaskStatus | '';
  type: TaskType | '';
}

export const adminTaskKeys = {
  all: [...adminKeys.all, 'tasks'] as const,
  page: (filter: AdminTaskFilter, cursor: string | null) => [...adminTaskKeys.all, filter.status, filter.type, cursor] as const,
};

export function useAdminTasks(filter: AdminTaskFilter, cursor: string | null) {
  return useQuery({
    queryKey: adminTaskKeys.page(filter, cursor),
    queryFn: () =>
      unwrap(
        client.GET('/api/admin/tasks', {
          params: { query: { status: filter.status || undefined, type: filter.type || undefined, cursor: cursor ?? undefined } },
        }),
      ),
    refetchInterval: 10_000,
  });
}

/** Puts a FAILED task back in the queue; the list is refetched. */
export function useRetryTask() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => unwrap(client.POST('/api/admin/tasks/{task_id}/retry', { params: { path: { task_id: id } } })),
    onSuccess: () => void qc.invalidateQueries({ queryKey: adminTaskKeys.all }),
  });
}
