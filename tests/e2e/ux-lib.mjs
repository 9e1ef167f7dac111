// Helpers for the studio-UX scenarios: storageState contexts at the two sizes and languages,
// a "page has settled" condition, axe-core injection, screenshots without fixed waits.
import { createRequire } from 'node:module';
import path from 'node:path';
import { ARTIFACTS, BASE_URL, repoRoot } from './lib.mjs';

const require = createRequire(path.join(repoRoot, 'frontend', 'package.json'));
const AXE = require.resolve('axe-core/axe.min.js');

export const SIZES = { desktop: { width: 1440, height: 900 }, phone: { width: 390, height: 844 } };
export const LANGS = ['en', 'zh'];
export const admin = { email: process.env.ADMIN_EMAIL, password: process.env.ADMIN_PASSWORD };

/** A context signed in by storageState (token + language in localStorage), reduced motion for stable pictures. */
export async function contextFor(browser, watch, { token, lang = 'en', size = 'desktop' }) {
  const storage = [{ name: 'sora.lang', value: lang }];
  if (token) storage.push({ name: 'sora.token', value: token });
  const ctx = await browser.newContext({
    viewport: SIZES[size],
    baseURL: BASE_URL,
    locale: lang === 'zh' ? 'zh-CN' : 'en-US',
    reducedMotion: 'reduce',
    bypassCSP: true, // axe-core is injected as an inline script; the app's CSP would (rightly) refuse it
    storageState: { cookies: [], origins: [{ origin: BASE_URL, localStorage: storage }] },
  });
  ctx.setDefaultTimeout(15_000);
  ctx.on('page', watch);
  return ctx;
}

/** Waits until the page shows content: no loading placeholder, fonts loaded. */
export async function settled(page) {
  await page.waitForFunction(() => !document.querySelector('[data-testid="loading-state"]'), null, { timeout: 15_000 });
  await page.evaluate(() => document.fonts.ready.then(() => true));
}

export const violations = [];
export async function axeCheck(page, label) {
  if (!(await page.evaluate(() => Boolean(window.axe)))) await page.addScriptTag({ path: AXE });
  const found = await page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ['violations'], runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] });
    return r.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`);
  });
  for (const v of found) violations.push(`${label}: ${v}`);
}

export async function shoot(page, name) {
  await settled(page);
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`) });
}

