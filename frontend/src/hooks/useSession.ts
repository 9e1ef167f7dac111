import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useCallback, useSyncExternalStore } from 'react';
import { useNavigate } from 'react-router-dom';
import { tokenStore } from '../api/apiService';
import { client, unwrap } from '../api/client';
import type { AuthResponse, User } from '../api/types';
import { clearDrafts } from './useDraft';

export const meKey = ['me'] as const;

export function useToken(): string | null {
  return useSyncExternalStore(tokenStore.subscribe, tokenStore.get, tokenStore.get);
}

/** The signed-in user (credits, quota, role), refreshed on focus and after generations. */
export function useMe() {
  const token = useToken();
  return useQuery<User>({
    queryKey: meKey,
    queryFn: ({ signal }) => unwrap(client.GET('/api/auth/me', { signal })),
    enabled: Boolean(token),
    staleTime: 15_000,
  });
}

export function useSignIn() {
  const qc = useQueryClient();
  return useCallback(
    (auth: AuthResponse) => {
      qc.clear();
      tokenStore.set(auth.token);
      qc.setQueryData(meKey, auth.user);
    },
    [qc],
  );
}

export function useSignOut() {
  const qc = useQueryClient();
  const navigate = useNavigate();
  return useCallback(() => {
    // The server retires the session token (POST /api/auth/logout) before we forget it locally.
    const done = () => {
      tokenStore.clear();
      clearDrafts();
      qc.clear();
      navigate('/login', { replace: true });
    };
    if (!tokenStore.get()) return done();
    void import('../features/account/api').then(({ logout }) => logout()).catch(() => undefined).then(done);
  }, [qc, navigate]);
}
