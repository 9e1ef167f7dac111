// "Continue with Google" through Google Identity Services, shown only when the server has a client id
// (GOOGLE_CLIENT_ID, served in /config.json). The ID token goes to POST /api/auth/google.
import { useEffect, useRef, useState } from 'react';
import { ErrorState } from '../../components/ui/States';
import { useI18n } from '../../i18n';
import type { AuthResponse } from '../../api/generated';
import { useLatest } from '../../hooks/useLatest';
import { useFeatureText } from '../featureText';
import { loadPublicConfig, signInWithGoogle } from './api';

interface GoogleId {
  accounts: {
    id: {
      initialize: (opts: { client_id: string; callback: (r: { credential: string }) => void }) => void;
      renderButton: (el: HTMLElement, opts: Record<string, unknown>) => void;
    };
  };
}

const GIS_SRC = 'https://accounts.google.com/gsi/client';

function loadGis(): Promise<GoogleId> {
  const w = window as unknown as { google?: GoogleId };
  if (w.google?.accounts) return Promise.resolve(w.google);
  return new Promise((resolve, reject) => {
    const script = document.createElement('script');
    script.src = GIS_SRC;
    script.async = true;
    script.onload = () => (w.google ? resolve(w.google) : reject(new Error('Google Identity Services did not load')));
    script.onerror = () => reject(new Error('Google Identity Services did not load'));
    document.head.appendChild(script);
  });
}

export function GoogleButton({ onSignedIn }: { onSignedIn: (auth: AuthResponse) => void }) {
  const { lang } = useI18n();
  const f = useFeatureText();
  const ref = useRef<HTMLDivElement>(null);
  const [clientId, setClientId] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const signedIn = useLatest(onSignedIn);

  useEffect(() => {
    let alive = true;
    void loadPublicConfig().then((c) => alive && setClientId(c.google_client_id || null));
    return () => {
      alive = false;
    };
  }, []);

  useEffect(() => {
    if (!clientId || !ref.current) return;
    const el = ref.current;
    loadGis()
      .then((google) => {
        google.accounts.id.initialize({
          client_id: clientId,
          callback: (r) => {
            signInWithGoogle(r.credential).then((auth) => signedIn.current(auth), setError);
          },
        });
        google.accounts.id.renderButton(el, { theme: 'filled_black', size: 'large', shape: 'pill', text: 'continue_with', locale: lang === 'zh' ? 'zh_CN' : 'en' });
      })
      .catch(setError);
  }, [clientId, lang, signedIn]);

  if (!clientId) return null;
  return (
    <div className="flex flex-col items-center gap-2" data-testid="google-signin">
      <div className="flex w-full items-center gap-3 text-xs text-slate-400">
        <span className="h-px flex-1 bg-white/10" />
        {f('or')}
        <span className="h-px flex-1 bg-white/10" />
      </div>
      <div ref={ref} />
      {error ? <ErrorState error={error} compact /> : null}
    </div>
  );
}
