// Account self-service routes (API.md, Auth): logout, password change/reset, developer API tokens, usage.
import { request } from '../../api/apiService';
import type {
  ApiTokenCreated,
  ApiTokenList,
  AuthResponse,
  ChangePasswordRequest,
  PasswordResetConfirm,
  UsagePage,
} from '../../api/generated';

export const accountApi = {
  logout: () => request<void>('/api/auth/logout', { method: 'POST' }),
  changePassword: (body: ChangePasswordRequest) => request<void>('/api/auth/password', { json: body }),
  requestReset: (email: string) => request<unknown>('/api/auth/password/reset', { json: { email } }),
  confirmReset: (body: PasswordResetConfirm) => request<void>('/api/auth/password/reset/confirm', { json: body }),
  tokens: () => request<ApiTokenList>('/api/auth/tokens'),
  createToken: (name: string) => request<ApiTokenCreated>('/api/auth/tokens', { json: { name } }),
  revokeToken: (id: string) => request<void>(`/api/auth/tokens/${encodeURIComponent(id)}`, { method: 'DELETE' }),
  usage: (cursor?: string | null) => request<UsagePage>('/api/auth/usage', { query: { cursor } }),
  google: (idToken: string) => request<AuthResponse>('/api/auth/google', { json: { id_token: idToken } }),
};

/** The public runtime config (`/config.json`): served by the `web` function on every deployment. */
export interface PublicConfig {
  google_client_id?: string | null;
}

let publicConfig: Promise<PublicConfig> | null = null;

export function loadPublicConfig(): Promise<PublicConfig> {
  publicConfig ??= Promise.resolve()
    .then(() => fetch('/config.json', { headers: { Accept: 'application/json' } }))
    .then((r) => (r?.ok ? (r.json() as Promise<PublicConfig>) : {}))
    .catch(() => ({}));
  return publicConfig;
}
