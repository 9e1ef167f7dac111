/** A byte count for people: "24 KB", "3.4 MB" (1 KB = 1024 bytes, like file managers). */
export function formatBytes(bytes: number, lang: 'en' | 'zh' = 'en'): string {
  const units = ['B', 'KB', 'MB', 'GB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  const digits = unit === 0 || value >= 10 ? 0 : 1;
  return `${value.toLocaleString(lang === 'zh' ? 'zh-CN' : 'en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 })} ${units[unit]}`;
}

/** A remaining time for a progress line: "45 s", "3 min" (short enough for a card). */
export function formatEta(seconds: number): string {
  if (seconds < 90) return `${Math.max(1, Math.round(seconds))} s`;
  return `${Math.round(seconds / 60)} min`;
}
