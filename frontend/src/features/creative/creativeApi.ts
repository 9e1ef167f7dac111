// Creative controls and sharing routes (API.md, Generation): variations, remix/extend, enhance, share.
import { request } from '../../api/apiService';
import type {
  CreateImageRequest,
  CreateVideoRequest,
  EnhancePromptResponse,
  PublicShare,
  ShareLink,
  Task,
} from '../../api/generated';

/** A create answer: one Task, or `{items}` for variations (count > 1). */
export type Created = Task | { items: Task[] };

export function createdTasks(created: Created): Task[] {
  return 'items' in created ? created.items : [created];
}

export const creativeApi = {
  createImage: (body: Partial<CreateImageRequest> & { prompt: string }) => request<Created>('/api/ai/image', { json: body }),
  createVideo: (body: Partial<CreateVideoRequest> & { prompt: string }) => request<Created>('/api/ai/video', { json: body }),
  enhance: (prompt: string, kind: 'image' | 'video') =>
    request<EnhancePromptResponse>('/api/ai/prompt/enhance', { json: { prompt, kind } }),
  share: (id: string) => request<ShareLink>(`/api/ai/tasks/${encodeURIComponent(id)}/share`, { method: 'POST' }),
  unshare: (id: string) => request<void>(`/api/ai/tasks/${encodeURIComponent(id)}/share`, { method: 'DELETE' }),
  publicShare: (token: string) => request<PublicShare>(`/api/public/shares/${encodeURIComponent(token)}`),
  task: (id: string) => request<Task>(`/api/ai/tasks/${encodeURIComponent(id)}`),
};
