import type { MessageKey } from '../../i18n';

export type FieldErrors<F extends string> = Partial<Record<F, MessageKey>>;

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
export const MIN_PASSWORD = 8;

export function validateLogin(v: { email: string; password: string }): FieldErrors<'email' | 'password'> {
  const errors: FieldErrors<'email' | 'password'> = {};
  if (!EMAIL.test(v.email.trim())) errors.email = 'auth.err.email';
  if (!v.password) errors.password = 'auth.err.passwordRequired';
  return errors;
}

export function validateRegister(v: { email: string; password: string; name: string }): FieldErrors<'email' | 'password' | 'name'> {
  const errors: FieldErrors<'email' | 'password' | 'name'> = {};
  if (!EMAIL.test(v.email.trim())) errors.email = 'auth.err.email';
  if (v.password.length < MIN_PASSWORD) errors.password = 'auth.err.password';
  if (v.name.trim().length > 80) errors.name = 'auth.err.name';
  return errors;
}

/** Only same-app paths are followed after sign-in (no open redirect through ?next=). */
export function safeNext(next: string | null): string {
  return next && next.startsWith('/') && !next.startsWith('//') && !next.startsWith('/login') ? next : '/video';
}
