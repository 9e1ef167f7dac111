// GET/PUT /api/admin/settings, GET /api/admin/models (each vendor's model list) and
// POST /api/admin/keys/{name}/test.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { client, unwrap } from '../../../api/client';
import type { AdminSettingsUpdate, ProviderModelList } from '../../../api/generated';
import { meKey } from '../../../hooks/useSession';
import { billingKeys } from '../../billing/api';
import { adminKeys } from '../keys';

export const settingsKeys = {
  all: [...adminKeys.all, 'settings'] as const,
};

export type ListedModel = ProviderModelList['items'][number];
export type ModelLists = Record<'gemini' | 'openai', ListedModel[]>;

export function useAdminSettings() {
  return useQuery({ queryKey: settingsKeys.all, queryFn: () => unwrap(client.GET('/api/admin/settings')) });
}

/** Saves the settings; the answer becomes the cached copy, and what they feed (packages, the header's quota) is refetched. */
export function useSaveSettings() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (update: AdminSettingsUpdate) => unwrap(client.PUT('/api/admin/settings', { body: update })),
    onSuccess: (data) => {
      qc.setQueryData(settingsKeys.all, data);
      void qc.invalidateQueries({ queryKey: billingKeys.packages() });
      void qc.invalidateQueries({ queryKey: meKey });
    },
  });
}

/** Both vendors' model lists; a vendor that cannot be reached (no key, offline) gives an empty list. */
export function useLoadModels() {
  return useMutation({
    mutationFn: async (): Promise<ModelLists> => {
      const list = (provider: 'gemini' | 'openai') => unwrap(client.GET('/api/admin/models', { params: { query: { provider } } }));
      const [gemini, openai] = (await Promise.allSettled([list('gemini'), list('openai')])).map((l) => (l.status === 'fulfilled' ? l.value.items : []));
      return { gemini, openai };
    },
  });
}

/** Tests a key against its vendor: the typed value, or the saved key when `key` is empty. */
export function useTestKey() {
  return useMutation({
    mutationFn: ({ name, key }: { name: string; key: string }) =>
      unwrap(client.POST('/api/admin/keys/{name}/test', { params: { path: { name } }, body: key.trim() ? { key: key.trim() } : {} })),
  });
}
