import { describe, expect, it } from 'vitest';
import { countingCodePoints, textField, textLength, textLimits } from './schemas';
import { zCreateImageRequest, zLoginRequest, zRegisterRequest } from './zod.gen';

describe('generated zod schemas, counted as the API counts', () => {
  it('reads the limits openapi.json declares', () => {
    expect(textLimits(zCreateImageRequest.shape.prompt)).toEqual({ min: 1, max: 2000 });
    expect(textLimits(zRegisterRequest.shape.name)).toEqual({ min: null, max: 80 }); // through nullish + default
  });

  it('counts code points: 2,000 foxes fit a 2,000-character prompt, 2,001 do not', () => {
    expect(textLength('🦊')).toBe(1);
    const prompt = countingCodePoints(zCreateImageRequest).shape.prompt;
    // zod alone counts UTF-16 units, so the generated schema refuses what the API accepts:
    expect(zCreateImageRequest.shape.prompt.safeParse('🦊'.repeat(1100)).success).toBe(false);
    expect(prompt.safeParse('🦊'.repeat(2000)).success).toBe(true);
    const tooLong = prompt.safeParse('🦊'.repeat(2001));
    expect(tooLong.success ? null : tooLong.error.issues.map((i) => i.code)).toEqual(['too_big']);
    const empty = prompt.safeParse('');
    expect(empty.success ? null : empty.error.issues.map((i) => i.code)).toEqual(['too_small']);
  });

  it('keeps optional, nullable and default around a limited field, and the other checks', () => {
    const register = countingCodePoints(zRegisterRequest);
    expect(register.parse({ email: 'neo@example.com', password: '12345678' }).name).toBeNull();
    expect(register.safeParse({ email: 'neo@example.com', password: '12345678', name: '🦊'.repeat(80) }).success).toBe(true);
    expect(register.safeParse({ email: 'neo@example.com', password: '12345678', name: 'x'.repeat(81) }).success).toBe(false);
    expect(register.safeParse({ email: 'neo@', password: '12345678' }).success).toBe(false); // format: email stays
  });
});

describe('textField', () => {
  it('trims, then applies the generated field (format and code-point limits)', () => {
    const email = textField(zLoginRequest.shape.email);
    expect(email.parse('  neo@example.com ')).toBe('neo@example.com');
    expect(email.safeParse('neo@').success).toBe(false);
    const password = textField(zLoginRequest.shape.password, { trim: false });
    expect(password.parse(' secret ')).toBe(' secret ');
    const empty = password.safeParse('');
    expect(empty.success ? null : empty.error.issues[0].code).toBe('too_small');
  });
});
