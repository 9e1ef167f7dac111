import { describe, expect, it } from 'vitest';
import { en } from './en';
import { detectLanguage, translate } from './index';
import { zh } from './zh';

describe('language', () => {
  it('prefers a stored choice, then the first supported browser language', () => {
    expect(detectLanguage('en', ['zh-CN'])).toBe('en');
    expect(detectLanguage(null, ['zh-CN', 'en-US'])).toBe('zh');
    expect(detectLanguage(null, ['zh-TW'])).toBe('zh');
    expect(detectLanguage(null, ['en-GB', 'zh-CN'])).toBe('en');
    expect(detectLanguage(null, ['fr-FR', 'zh'])).toBe('zh');
    expect(detectLanguage(null, ['fr-FR'])).toBe('en');
    expect(detectLanguage('xx', [])).toBe('en');
  });

  it('has every English key in Chinese and fills placeholders', () => {
    expect(Object.keys(zh).sort()).toEqual(Object.keys(en).sort());
    expect(translate('gen.seconds', { n: 8 }, 'zh')).toBe('8 秒');
  });
});
