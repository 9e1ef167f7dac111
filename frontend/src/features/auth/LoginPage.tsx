import { zodResolver } from '@hookform/resolvers/zod';
import { useForm } from 'react-hook-form';
import { Link, useNavigate, useSearchParams } from 'react-router-dom';
import type { AuthResponse } from '../../api/generated';
import { Button } from '../../components/ui/Button';
import { Input } from '../../components/ui/Input';
import { ErrorState } from '../../components/ui/States';
import { useSignIn } from '../../hooks/useSession';
import { useI18n } from '../../i18n';
import { useFeatureText } from '../featureText';
import { useLogin } from './api';
import { AuthLayout } from './AuthLayout';
import { GoogleButton } from './GoogleButton';
import { safeNext } from './redirect';
import { loginSchema, type LoginForm } from './validation';

export default function LoginPage() {
  const { t } = useI18n();
  const f = useFeatureText();
  const [params] = useSearchParams();
  const form = useForm<LoginForm>({ resolver: zodResolver(loginSchema), defaultValues: { email: params.get('email') ?? '', password: '' } });
  const { errors } = form.formState;
  const signIn = useSignIn();
  const navigate = useNavigate();
  const login = useLogin();
  const signedIn = (auth: AuthResponse) => {
    signIn(auth);
    navigate(safeNext(params.get('next')), { replace: true });
  };
  const onSubmit = form.handleSubmit((values) => login.mutate(values, { onSuccess: signedIn }));

  return (
    <AuthLayout title={t('auth.login.title')} subtitle={t('auth.login.subtitle')}>
      <form noValidate onSubmit={onSubmit} data-testid="login-form" className="flex flex-col gap-4">
        <Input
          label={t('auth.email')}
          type="email"
          autoComplete="email"
          data-testid="email-input"
          error={errors.email && t('auth.err.email')}
          {...form.register('email')}
        />
        <Input
          label={t('auth.password')}
          type="password"
          autoComplete="current-password"
          data-testid="password-input"
          error={errors.password && t('auth.err.passwordRequired')}
          {...form.register('password')}
        />
        {login.isError && (
          <div data-testid="form-error">
            <ErrorState error={login.error} compact />
          </div>
        )}
        <Button type="submit" variant="primary" size="lg" loading={login.isPending} data-testid="submit-button">
          {t('auth.submitLogin')}
        </Button>
        <Link to="/register" className="text-center text-sm text-slate-400 hover:text-neon-cyan" data-testid="to-register">
          {t('auth.toRegister')}
        </Link>
        <Link to="/forgot-password" className="text-center text-xs text-slate-400 hover:text-neon-cyan" data-testid="to-forgot">
          {f('forgot')}
        </Link>
      </form>
      <div className="mt-4">
        <GoogleButton onSignedIn={signedIn} />
      </div>
    </AuthLayout>
  );
}
