// The admin function's endpoints, typed with the generated shapes (common/models/admin.py).
// Kept next to the page until apiService.ts/types.ts carry them (owned elsewhere).
import { request } from '../../api/apiService';
import type {
  AdminOrder,
  AdminOrderPage,
  AdminSettings,
  AdminSettingsUpdate,
  AdminStats,
  AdminTask,
  AdminTaskPage,
  AdminUserPage,
  AdminUserPatch,
  AuditPage,
  KeyTestResult,
  ProviderModelList,
  User,
} from '../../api/generated';

const enc = encodeURIComponent;

export const adminApi = {
  stats: () => request<AdminStats>('/api/admin/stats'),
  users: (q: { q?: string; cursor?: string | null }) => request<AdminUserPage>('/api/admin/users', { query: q }),
  patchUser: (id: string, patch: Partial<AdminUserPatch>) =>
    request<User>(`/api/admin/users/${enc(id)}`, { method: 'PATCH', json: patch }),
  tasks: (q: { status?: string; type?: string; user_id?: string; cursor?: string | null }) =>
    request<AdminTaskPage>('/api/admin/tasks', { query: q }),
  retryTask: (id: string) => request<AdminTask>(`/api/admin/tasks/${enc(id)}/retry`, { method: 'POST' }),
  orders: (q: { status?: string; cursor?: string | null }) => request<AdminOrderPage>('/api/admin/orders', { query: q }),
  refundOrder: (id: string) => request<AdminOrder>(`/api/admin/orders/${enc(id)}/refund`, { method: 'POST' }),
  settings: () => request<AdminSettings>('/api/admin/settings'),
  putSettings: (update: Partial<AdminSettingsUpdate>) =>
    request<AdminSettings>('/api/admin/settings', { method: 'PUT', json: update }),
  audit: (cursor?: string | null) => request<AuditPage>('/api/admin/audit', { query: { cursor } }),
  models: (provider: 'gemini' | 'openai') => request<ProviderModelList>('/api/admin/models', { query: { provider } }),
  testKey: (name: string, key?: string) =>
    request<KeyTestResult>(`/api/admin/keys/${enc(name)}/test`, { method: 'POST', json: key ? { key } : {} }),
};
