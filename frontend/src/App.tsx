import { QueryClientProvider, useQueryClient, type QueryClient } from '@tanstack/react-query';
import { lazy, Suspense, useEffect, type ReactNode } from 'react';
import { BrowserRouter, Navigate, Route, Routes, useLocation, useNavigate, useSearchParams } from 'react-router-dom';
import { setUnauthorizedHandler } from './api/apiService';
import { AppShell } from './components/layout/AppShell';
import { safeNext } from './features/auth/redirect';
import { LoadingState } from './components/ui/States';
import { ToastProvider } from './components/ui/Toast';
import { useMe, useToken } from './hooks/useSession';
import { I18nProvider, useI18n } from './i18n';

// Each page is its own chunk: the first load carries only the shell.
const LoginPage = lazy(() => import('./features/auth/LoginPage'));
const RegisterPage = lazy(() => import('./features/auth/RegisterPage'));
const VideoPage = lazy(() => import('./features/video/VideoPage'));
const ImagePage = lazy(() => import('./features/image/ImagePage'));
const GalleryPage = lazy(() => import('./features/gallery/GalleryPage'));
const ChatPage = lazy(() => import('./features/chat/ChatPage'));
const PricingPage = lazy(() => import('./features/billing/PricingPage'));
const AccountPage = lazy(() => import('./features/account/AccountPage'));
const AdminPage = lazy(() => import('./features/admin/AdminPage'));
const SharedPage = lazy(() => import('./features/creative/SharedPage'));
const ForgotPasswordPage = lazy(() => import('./features/auth/PasswordResetPages').then((m) => ({ default: m.ForgotPasswordPage })));
const ResetPasswordPage = lazy(() => import('./features/auth/PasswordResetPages').then((m) => ({ default: m.ResetPasswordPage })));

function RequireAuth({ children }: { children: ReactNode }) {
  const token = useToken();
  const location = useLocation();
  if (!token) return <Navigate to={`/login?next=${encodeURIComponent(location.pathname + location.search)}`} replace />;
  return <>{children}</>;
}

/** Signed-in visitors leave the login/register pages for the page they asked for (`?next=`). */
function GuestOnly({ children }: { children: ReactNode }) {
  const [params] = useSearchParams();
  return useToken() ? <Navigate to={safeNext(params.get('next'))} replace /> : <>{children}</>;
}

function RequireAdmin({ children }: { children: ReactNode }) {
  const me = useMe();
  if (me.isPending) return <LoadingState />;
  // The server checks the role on every admin request; this only hides the page.
  if (me.data?.role !== 'admin') return <Navigate to="/video" replace />;
  return <>{children}</>;
}

/** Routes a 401 from anywhere to the login page through the router (no full reload). */
function SessionExpiry() {
  const navigate = useNavigate();
  const qc = useQueryClient();
  useEffect(() => {
    setUnauthorizedHandler(() => {
      qc.clear();
      const here = window.location.pathname + window.location.search;
      if (!window.location.pathname.startsWith('/login')) navigate(`/login?next=${encodeURIComponent(here)}`, { replace: true });
    });
    return () => setUnauthorizedHandler(null);
  }, [navigate, qc]);
  return null;
}

function NotFound() {
  const { t } = useI18n();
  return <p className="glass p-6 text-slate-300">{t('err.not_found')}</p>;
}

export function AppRoutes() {
  return (
    <Routes>
      <Route path="/login" element={<GuestOnly><LoginPage /></GuestOnly>} />
      <Route path="/register" element={<GuestOnly><RegisterPage /></GuestOnly>} />
      <Route path="/forgot-password" element={<ForgotPasswordPage />} />
      <Route path="/s/:token" element={<SharedPage />} />
      <Route path="/reset-password" element={<ResetPasswordPage />} />
      <Route element={<RequireAuth><AppShell /></RequireAuth>}>
        <Route index element={<Navigate to="/video" replace />} />
        <Route path="/video" element={<VideoPage />} />
        <Route path="/image" element={<ImagePage />} />
        <Route path="/gallery" element={<GalleryPage />} />
        <Route path="/chat" element={<ChatPage />} />
        <Route path="/chat/:id" element={<ChatPage />} />
        <Route path="/pricing" element={<PricingPage />} />
        <Route path="/account" element={<AccountPage />} />
        <Route path="/admin" element={<RequireAdmin><AdminPage /></RequireAdmin>} />
        <Route path="*" element={<NotFound />} />
      </Route>
    </Routes>
  );
}

export function App({ queryClient }: { queryClient: QueryClient }) {
  return (
    <QueryClientProvider client={queryClient}>
      <I18nProvider>
        <ToastProvider>
          <BrowserRouter>
            <SessionExpiry />
            <div className="backdrop" aria-hidden="true" />
            <Suspense fallback={<LoadingState />}>
              <AppRoutes />
            </Suspense>
          </BrowserRouter>
        </ToastProvider>
      </I18nProvider>
    </QueryClientProvider>
  );
}
