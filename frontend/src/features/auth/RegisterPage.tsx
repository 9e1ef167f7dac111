import { useMutation } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { Link, useNavigate } from 'react-router-dom';
import { api } from '../../api/apiService';
import { Button } from '../../components/ui/Button';
import { Input } from '../../components/ui/Input';
import { ErrorState } from '../../components/ui/States';
import { useSignIn } from '../../hooks/useSession';
import { useI18n } from '../../i18n';
import { AuthLayout } from './AuthLayout';
import { MAX_NAME, MIN_PASSWORD, validateRegister, type FieldErrors } from './validation';

export default function RegisterPage() {
  const { t } = useI18n();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [name, setName] = useState('');
  const [errors, setErrors] = useState<FieldErrors<'email' | 'password' | 'name'>>({});
  const signIn = useSignIn();
  const navigate = useNavigate();

  const register = useMutation({
    mutationFn: api.register,
    onSuccess: (auth) => {
      signIn(auth);
      navigate('/video', { replace: true });
    },
  });

  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    const found = validateRegister({ email, password, name });
    setErrors(found);
    if (Object.keys(found).length) return;
    register.mutate({ email: email.trim(), password, ...(name.trim() ? { name: name.trim() } : {}) });
  };

  return (
    <AuthLayout title={t('auth.register.title')} subtitle={t('auth.register.subtitle')}>
      <form noValidate onSubmit={onSubmit} data-testid="register-form" className="flex flex-col gap-4">
        <Input
          label={t('auth.nameOptional')}
          name="name"
          autoComplete="name"
          data-testid="name-input"
          value={name}
          maxLength={MAX_NAME}
          onChange={(e) => setName(e.target.value)}
          error={errors.name && t(errors.name)}
        />
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
          autoComplete="new-password"
          minLength={MIN_PASSWORD}
          data-testid="password-input"
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          error={errors.password && t(errors.password)}
          hint={t('auth.err.password')}
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
