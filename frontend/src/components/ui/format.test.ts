import { describe, expect, it } from 'vitest';
import { formatBytes } from './format';

describe('formatBytes', () => {
  it('picks the unit a person expects', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(24 * 1024)).toBe('24 KB');
    expect(formatBytes(1536)).toBe('1.5 KB');
    expect(formatBytes(3.44 * 1024 * 1024)).toBe('3.4 MB');
    expect(formatBytes(200 * 1024 * 1024)).toBe('200 MB');
  });
});
