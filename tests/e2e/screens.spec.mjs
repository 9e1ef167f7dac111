// Every page photographed at 1440×900 and 390×844 in English and Chinese
// (artifacts/e2e/ux-<page>-<size>-<lang>.png), axe-core (injected from npm) run on each English page
// at desktop size and on the phone pages whose layout differs most: no serious or critical violation
// anywhere; each signed-in page has its own tab title, and <html lang> follows the language.
// The four language × size combinations are separate tests, run in parallel across the workers.
import { readFileSync } from 'node:fs';
import { BASE_URL, LANGS, SIZES, accountFile, apiCall, axeViolations, expect, randomEmail, registerViaApi, screenshot, test } from './fixtures.mjs';

test.describe.configure({ mode: 'parallel' });
test.use({ role: 'guest' });

const AXE_PHONE = new Set(['chat', 'gallery', 'video', 'admin']);

/** Content for the pages, once per worker: a user with two images (maybe still running) and a conversation. */
let seed = null;
test.beforeAll(async ({ playwright }) => {
  const api = await playwright.request.newContext({ baseURL: BASE_URL });
  const { token } = await registerViaApi(api, { email: randomEmail('e2e-screens'), password: 'e2e-password-123', name: 'Screens' });
  for (const aspect_ratio of ['16:9', '1:1']) {
    const r = await apiCall(api, 'POST', '/api/ai/image', { token, data: { prompt: `A neon koi in the rain, ${aspect_ratio}`, aspect_ratio } });
    expect(r.status, JSON.stringify(r.body)).toBe(202);
  }
  const chat = await apiCall(api, 'POST', '/api/ai/chat', { token, data: { message: 'Write a **three-shot** list for a rainy neon street:\n\n- wide\n- close\n- insert' } });
  expect(chat.status, JSON.stringify(chat.body)).toBe(200);
  await api.dispose();
  const adminToken = JSON.parse(readFileSync(accountFile('admin'), 'utf8')).token;
  seed = { token, adminToken, chatUrl: `/chat/${chat.body.conversation_id}` };
});

for (const lang of LANGS) {
  for (const size of Object.keys(SIZES)) {
    test(`every page at ${size} in ${lang}`, async ({ newContext }) => {
      const { token, adminToken, chatUrl } = seed;
      const PAGES = [
        { name: 'login', path: '/login', who: null, ready: 'login-form' },
        { name: 'register', path: '/register', who: null, ready: 'register-form' },
        { name: 'video', path: '/video', who: token, ready: 'video-form' },
        { name: 'image', path: '/image', who: token, ready: 'image-form' },
        { name: 'chat', path: chatUrl, who: token, ready: 'chat-form' },
        { name: 'gallery', path: '/gallery', who: token, ready: 'task-grid' },
        { name: 'pricing', path: '/pricing', who: token, ready: 'package-card' },
        { name: 'account', path: '/account', who: token, ready: 'account-profile' },
        { name: 'admin', path: '/admin', who: adminToken, ready: 'admin-stats' },
      ];
      const violations = [];
      for (const who of [null, token, adminToken]) {
        // axe-core is injected as an inline script; the app's CSP would (rightly) refuse it.
        const ctx = await newContext({ token: who, lang, size, bypassCSP: true });
        const pg = await ctx.newPage();
        for (const p of PAGES.filter((x) => x.who === who)) {
          const label = `${p.name}-${size}-${lang}`;
          await pg.goto(p.path);
          await expect(pg.getByTestId(p.ready).first(), `${label} shows its content`).toBeVisible();
          await screenshot(pg, `ux-${label}`, { fullPage: false });
          // axe takes seconds a page on a loaded 2-core machine: every page at desktop size, and the
          // pages whose phone layout differs most; the rules it checks do not depend on the language.
          if (lang === 'en' && (size === 'desktop' || AXE_PHONE.has(p.name))) {
            for (const v of await axeViolations(pg)) violations.push(`${label}: ${v}`);
          }
          if (lang === 'zh') await expect(pg.locator('html'), `${label}: <html lang> follows the language`).toHaveAttribute('lang', 'zh-CN');
          if (p.who !== null) await expect(pg, `${label}: a per-route title`).toHaveTitle(/.+Sora Studio|Sora Studio.+/);
        }
        await ctx.close();
      }
      expect(violations, 'axe-core found serious/critical violations').toEqual([]);
    });
  }
}
