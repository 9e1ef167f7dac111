import { useMutation } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router-dom';
import { api } from '../../api/apiService';
import { Button } from '../../components/ui/Button';
import { Input } from '../../components/ui/Input';
import { ErrorState } from '../../components/ui/States';
import { useSignIn } from '../../hooks/useSession';
import { useI18n } from '../../i18n';
import { useFeatureText } from '../featureText';
import { AuthLayout } from './AuthLayout';
import { GoogleButton } from './GoogleButton';
import { safeNext, validateLogin, type FieldErrors } from './validation';

export default function LoginPage() {
  const { t } = useI18n();
  const f = useFeatureText();
  const [params] = useSearchParams();
  const [email, setEmail] = useState(params.get('email') ?? '');
  const [password, setPassword] = useState('');
  const [errors, setErrors] = useState<FieldErrors<'email' | 'password'>>({});
  const signIn = useSignIn();
  const navigate = useNavigate();

  const login = useMutation({
    mutationFn: api.login,
    onSuccess: (auth) => {
      signIn(auth);
      navigate(safeNext(params.get('next')), { replace: true });
    },
  });

  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    const found = validateLogin({ email, password });
    setErrors(found);
    if (Object.keys(found).length) return;
    login.mutate({ email: email.trim(), password });
  };

  return (
    <AuthLayout title={t('auth.login.title')} subtitle={t('auth.login.subtitle')}>
      <form noValidate onSubmit={onSubmit} data-testid="login-form" className="flex flex-col gap-4">
        <Input
          label={t('auth.email')}
          type="email"
          name="email"
          autoComplete="email"
          data-testid="email-input"
          value={email}
          onChange={(e) => setEmail(e.target.value)}
          error={errors.email && t(errors.email)}
        />
        <Input
          label={t('auth.password')}
          type="password"
          name="password"
          autoComplete="current-password"
          data-testid="password-input"
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          error={errors.password && t(errors.password)}
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
        <GoogleButton
          onSignedIn={(auth) => {
            signIn(auth);
            navigate(safeNext(params.get('next')), { replace: true });
          }}
        />
      </div>
    </AuthLayout>
  );
}
