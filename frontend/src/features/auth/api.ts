// The sign-in routes (API.md, Auth): login, register, Google sign-in, password reset; and the
// public runtime config that says whether Google sign-in is on.
import { useMutation } from '@tanstack/react-query';
import { client, unwrap } from '../../api/client';
import type { LoginRequest, PasswordResetConfirm, RegisterRequest } from '../../api/generated';

export function useLogin() {
  return useMutation({ mutationFn: (body: LoginRequest) => unwrap(client.POST('/api/auth/login', { body })) });
}

export function useRegister() {
  return useMutation({ mutationFn: (body: RegisterRequest) => unwrap(client.POST('/api/auth/register', { body })) });
}

/** Exchanges a Google ID token (Google Identity Services) for a session. */
export function signInWithGoogle(idToken: string) {
  return unwrap(client.POST('/api/auth/google', { body: { id_token: idToken } }));
}

/** Mails a reset link (the answer is the same whether the address is known or not). */
export function useRequestPasswordReset() {
  return useMutation({ mutationFn: (email: string) => unwrap(client.POST('/api/auth/password/reset', { body: { email } })) });
}

export function useConfirmPasswordReset() {
  return useMutation({ mutationFn: (body: PasswordResetConfirm) => unwrap(client.POST('/api/auth/password/reset/confirm', { body })) });
}

/** The public runtime config (`/config.json`): served by the `web` function on every deployment. */
export interface PublicConfig {
  google_client_id?: string | null;
}

let publicConfig: Promise<PublicConfig> | null = null;

/** Loads /config.json once; `{}` when it is missing or unreadable. */
export function loadPublicConfig(): Promise<PublicConfig> {
  publicConfig ??= Promise.resolve()
    .then(() => fetch('/config.json', { headers: { Accept: 'application/json' } }))
    .then((r) => (r?.ok ? (r.json() as Promise<PublicConfig>) : {}))
    .catch(() => ({}));
  return publicConfig;
}
