// Every page photographed at 1440×900 and 390×844 in English and Chinese
// (artifacts/e2e/ux-<page>-<size>-<lang>.png), with axe-core (injected from npm) run on each:
// no serious or critical violation anywhere; each page has its own tab title and <html lang>.
import { apiCall, assert, log, loginViaApi, randomEmail, registerViaApi, runScenario } from './lib.mjs';
import { LANGS, SIZES, admin, axeCheck, contextFor, shoot, violations } from './ux-lib.mjs';

assert.ok(admin.email && admin.password, 'ADMIN_EMAIL and ADMIN_PASSWORD must be set');

const AXE_PHONE = new Set(['chat', 'gallery', 'video', 'admin']);

await runScenario('screens', async ({ browser, context, watch }) => {
  const boot = await context.newPage();
  await boot.goto('/login');
  const user = { email: randomEmail('e2e-screens'), password: 'e2e-password-123', name: 'Screens' };
  const { token } = await registerViaApi(boot, user);
  const adminToken = (await loginViaApi(boot, admin)).token;
  // Content for the pages: two images and a conversation (not waited for: the pictures may show them running).
  for (const aspect_ratio of ['16:9', '1:1']) {
    const r = await apiCall(boot, 'POST', '/api/ai/image', { token, data: { prompt: `A neon koi in the rain, ${aspect_ratio}`, aspect_ratio } });
    assert.equal(r.status, 202, JSON.stringify(r.body));
  }
  const chat = await apiCall(boot, 'POST', '/api/ai/chat', { token, data: { message: 'Write a **three-shot** list for a rainy neon street:\n\n- wide\n- close\n- insert' } });
  assert.equal(chat.status, 200, JSON.stringify(chat.body));
  const chatUrl = `/chat/${chat.body.conversation_id}`;

  log('5. screenshots and axe on every page');
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
  for (const lang of LANGS) {
    for (const size of Object.keys(SIZES)) {
      for (const who of [null, token, adminToken]) {
        const pages = PAGES.filter((p) => p.who === who);
        const ctx = await contextFor(browser, watch, { token: who, lang, size });
        const pg = await ctx.newPage();
        for (const p of pages) {
          await pg.goto(p.path);
          await pg.getByTestId(p.ready).first().waitFor();
          const label = `${p.name}-${size}-${lang}`;
          log(`   ${label}`);
          const t0 = Date.now();
          await shoot(pg, `ux-${label}`);
          const t1 = Date.now();
          // axe (5-8 s a page on a loaded 2-core machine): every page at desktop size, and the
          // pages whose phone layout differs most; the rules it checks do not depend on the language.
          if (lang === 'en' && (size === 'desktop' || AXE_PHONE.has(p.name))) {
            const before = violations.length;
            await axeCheck(pg, label);
            for (const v of violations.slice(before)) log(`     axe: ${v}`);
          }
          log(`     shot ${t1 - t0} ms, axe ${Date.now() - t1} ms`);
          if (lang === 'zh') {
            const htmlLang = await pg.evaluate(() => document.documentElement.lang);
            assert.equal(htmlLang, 'zh-CN', `${label}: <html lang> follows the language`);
          }
          const title = await pg.title();
          assert.ok(title.includes('Sora Studio') && title !== 'Sora Studio' || p.who === null, `${label}: a per-route title (${title})`);
        }
        await ctx.close();
      }
    }
  }
  log(`   ${violations.length} serious/critical axe violations`);
  assert.deepEqual(violations, [], `axe-core found serious/critical violations:\n  ${violations.join('\n  ')}`);
});
