// Creation, creative tools and sharing (API.md, Generation): create image/video (variations,
// remix/extend), enhance a prompt, share links, the public share page, one task by id.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { ApiError } from '../../api/apiService';
import { client, unwrap } from '../../api/client';
import type { CreateImageRequest, CreateVideoRequest, Task } from '../../api/generated';
import { fetchTask, patchTaskInLists, taskKeys } from '../../hooks/useTasks';

export const creativeKeys = {
  /** One task by id (a reuse or remix source); under the tasks root, so task refreshes reach it. */
  task: taskKeys.one,
  publicShare: (token: string) => ['public', 'share', token] as const,
};

/** A create answer: one Task, or `{items}` for variations (count > 1). */
export type Created = Task | { items: Task[] };

export function createdTasks(created: Created): Task[] {
  return 'items' in created ? created.items : [created];
}

/** POST /api/ai/image; the request's defaults (count, aspect ratio...) are the server's. */
export function useCreateImage({ onSuccess }: { onSuccess: (created: Created) => void }) {
  return useMutation({
    mutationFn: (body: Partial<CreateImageRequest> & { prompt: string }): Promise<Created> =>
      unwrap(client.POST('/api/ai/image', { body: body as CreateImageRequest })),
    onSuccess,
  });
}

/** POST /api/ai/video (text, start frame, remix or extension). */
export function useCreateVideo({ onSuccess }: { onSuccess: (created: Created) => void }) {
  return useMutation({
    mutationFn: (body: Partial<CreateVideoRequest> & { prompt: string }): Promise<Created> =>
      unwrap(client.POST('/api/ai/video', { body: body as CreateVideoRequest })),
    onSuccess,
  });
}

/** POST /api/ai/prompt/enhance: a richer prompt for the same idea. */
export function useEnhancePrompt() {
  return useMutation({
    mutationFn: ({ prompt, kind }: { prompt: string; kind: 'image' | 'video' }) =>
      unwrap(client.POST('/api/ai/prompt/enhance', { body: { prompt, kind } })),
  });
}

/** Creates the public link of a finished task; the task shows as shared in every list. */
export function useShareTask(task: Task) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: () => unwrap(client.POST('/api/ai/tasks/{task_id}/share', { params: { path: { task_id: task.id } } })),
    onSuccess: () => patchTaskInLists(qc, task.id, { ...task, shared: true }),
  });
}

/** Removes the public link (the old URL stops working). */
export function useUnshareTask(task: Task) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: () => unwrap(client.DELETE('/api/ai/tasks/{task_id}/share', { params: { path: { task_id: task.id } } })),
    onSuccess: () => patchTaskInLists(qc, task.id, { ...task, shared: false }),
  });
}

/** The public page of a shared result (no sign-in). */
export function usePublicShare(token: string) {
  return useQuery({
    queryKey: creativeKeys.publicShare(token),
    queryFn: () => unwrap(client.GET('/api/public/shares/{token}', { params: { path: { token } } })),
    retry: (n, e) => !(e instanceof ApiError && e.status === 404) && n < 2,
  });
}

/** One of the user's tasks by id; idle while `id` is null. */
export function useTask(id: string | null) {
  return useQuery({ queryKey: creativeKeys.task(id), queryFn: () => fetchTask(id as string), enabled: Boolean(id) });
}
