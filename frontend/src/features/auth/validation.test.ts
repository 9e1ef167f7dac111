import { describe, expect, it } from 'vitest';
import { checkUpload, MAX_UPLOAD_BYTES } from '../media/ImageUpload';
import { z } from 'zod';
import { textField } from '../../api/schemas';
import { zCreateImageRequest } from '../../api/zod.gen';
import { MAX_PROMPT, promptMessage } from '../media/GenerateParts';

/** What the image form says about a prompt (its schema is the generated one). */
const validatePrompt = (prompt: string) => {
  const r = z.object({ prompt: textField(zCreateImageRequest.shape.prompt) }).safeParse({ prompt });
  return r.success ? null : promptMessage({ type: r.error.issues[0].code });
};
import { safeNext } from './redirect';
import { registerSchema, type RegisterForm } from './validation';

/** The fields the register form would flag (the generated schema, counted in code points). */
const flagged = (v: RegisterForm) => {
  const r = registerSchema.safeParse(v);
  return r.success ? [] : [...new Set(r.error.issues.map((i) => String(i.path[0])))].sort();
};

describe('form rules', () => {
  it('follows ?next= only to paths inside the app', () => {
    expect(safeNext('/gallery?type=video')).toBe('/gallery?type=video');
    expect(safeNext('//evil.example.com')).toBe('/video');
    expect(safeNext('https://evil.example.com')).toBe('/video');
    expect(safeNext('/login')).toBe('/video');
    expect(safeNext(null)).toBe('/video');
  });

  it('accepts a valid registration and names each bad field', () => {
    expect(flagged({ email: 'neo@example.com', password: '12345678', name: '' })).toEqual([]);
    expect(flagged({ email: 'neo@', password: '1234567', name: 'x'.repeat(81) })).toEqual(['email', 'name', 'password']);
  });

  it('pre-checks uploads for type and the 20 MB limit', () => {
    expect(checkUpload({ type: 'image/png', size: 1000 })).toBeNull();
    expect(checkUpload({ type: 'image/gif', size: 1000 })).toBe('upload.err.type');
    expect(checkUpload({ type: 'image/webp', size: MAX_UPLOAD_BYTES + 1 })).toBe('upload.err.size');
  });

  it('counts text as the API does: code points, so 1,100 foxes are 1,100 characters', () => {
    expect(MAX_PROMPT).toBe(2000);
    expect(validatePrompt('🦊'.repeat(1100))).toBeNull();
    expect(validatePrompt('🦊'.repeat(2001))).toBe('gen.err.promptLong');
    expect(validatePrompt('')).toBe('gen.err.prompt');
    expect(flagged({ email: 'neo@example.com', password: '12345678', name: '🦊'.repeat(80) })).toEqual([]);
    expect(flagged({ email: 'neo@example.com', password: '12345678', name: 'x'.repeat(120) })).toEqual(['name']);
  });
});
