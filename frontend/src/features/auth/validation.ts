import { FIELD_LIMITS, textLength } from '../../api/generated';
import type { MessageKey } from '../../i18n';

export type FieldErrors<F extends string> = Partial<Record<F, MessageKey>>;

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
export const MIN_PASSWORD = FIELD_LIMITS['RegisterRequest.password'].minLength;
export const MAX_NAME = FIELD_LIMITS['RegisterRequest.name'].maxLength;

export function validateLogin(v: { email: string; password: string }): FieldErrors<'email' | 'password'> {
  const errors: FieldErrors<'email' | 'password'> = {};
  if (!EMAIL.test(v.email.trim())) errors.email = 'auth.err.email';
  if (!v.password) errors.password = 'auth.err.passwordRequired';
  return errors;
}

export function validateRegister(v: { email: string; password: string; name: string }): FieldErrors<'email' | 'password' | 'name'> {
  const errors: FieldErrors<'email' | 'password' | 'name'> = {};
  if (!EMAIL.test(v.email.trim())) errors.email = 'auth.err.email';
  if (textLength(v.password) < MIN_PASSWORD) errors.password = 'auth.err.password';
  if (textLength(v.name.trim()) > MAX_NAME) errors.name = 'auth.err.name';
  return errors;
}

/** Only same-app paths are followed after sign-in (no open redirect through ?next=). */
export function safeNext(next: string | null): string {
  return next && next.startsWith('/') && !next.startsWith('//') && !next.startsWith('/login') ? next : '/video';
}
