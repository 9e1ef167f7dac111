// The sign-in forms' schemas: the generated request schemas (zod.gen.ts, from openapi.json), text
// counted in code points as the API counts it (api/schemas.ts). No limit is written here by hand.
import { z } from 'zod';
import { textField, textLimits } from '../../api/schemas';
import { zLoginRequest, zPasswordResetConfirm, zPasswordResetRequest, zRegisterRequest } from '../../api/zod.gen';

export const loginSchema = z.object({
  email: textField(zLoginRequest.shape.email),
  password: textField(zLoginRequest.shape.password, { trim: false }),
});
export type LoginForm = z.infer<typeof loginSchema>;

export const registerSchema = z.object({
  email: textField(zRegisterRequest.shape.email),
  password: textField(zRegisterRequest.shape.password, { trim: false }),
  name: textField(zRegisterRequest.shape.name),
});
export type RegisterForm = z.infer<typeof registerSchema>;

export const forgotSchema = z.object({ email: textField(zPasswordResetRequest.shape.email) });
export type ForgotForm = z.infer<typeof forgotSchema>;

export const resetSchema = z.object({ new_password: textField(zPasswordResetConfirm.shape.new_password, { trim: false }) });
export type ResetForm = z.infer<typeof resetSchema>;

/** The shortest password the API takes (RegisterRequest.password minLength). */
export const MIN_PASSWORD = textLimits(zRegisterRequest.shape.password).min ?? 8;
