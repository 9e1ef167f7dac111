import { zodResolver } from '@hookform/resolvers/zod';
import { useForm } from 'react-hook-form';
import { Link, useNavigate } from 'react-router-dom';
import { Button } from '../../components/ui/Button';
import { Input } from '../../components/ui/Input';
import { ErrorState } from '../../components/ui/States';
import { useSignIn } from '../../hooks/useSession';
import { useI18n } from '../../i18n';
import { useRegister } from './api';
import { AuthLayout } from './AuthLayout';
import { MIN_PASSWORD, registerSchema, type RegisterForm } from './validation';

export default function RegisterPage() {
  const { t } = useI18n();
  const form = useForm<RegisterForm>({ resolver: zodResolver(registerSchema), defaultValues: { email: '', password: '', name: '' } });
  const { errors } = form.formState;
  const signIn = useSignIn();
  const navigate = useNavigate();
  const register = useRegister();
  const onSubmit = form.handleSubmit(({ email, password, name }) =>
    register.mutate(
      { email, password, ...(name ? { name } : {}) },
      {
        onSuccess: (auth) => {
          signIn(auth);
          navigate('/video', { replace: true });
        },
      },
    ),
  );

  return (
    <AuthLayout title={t('auth.register.title')} subtitle={t('auth.register.subtitle')}>
      <form noValidate onSubmit={onSubmit} data-testid="register-form" className="flex flex-col gap-4">
        <Input
          label={t('auth.nameOptional')}
          autoComplete="name"
          data-testid="name-input"
          error={errors.name && t('auth.err.name')}
          {...form.register('name')}
        />
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
          autoComplete="new-password"
          minLength={MIN_PASSWORD}
          data-testid="password-input"
          error={errors.password && t('auth.err.password')}
          hint={t('auth.err.password')}
          {...form.register('password')}
        />
        {register.isError && (
          <div data-testid="form-error">
            <ErrorState error={register.error} compact />
          </div>
        )}
        <Button type="submit" variant="primary" size="lg" loading={register.isPending} data-testid="submit-button">
          {t('auth.submitRegister')}
        </Button>
        <Link to="/login" className="text-center text-sm text-slate-400 hover:text-neon-cyan" data-testid="to-login">
          {t('auth.toLogin')}
        </Link>
      </form>
    </AuthLayout>
  );
}
