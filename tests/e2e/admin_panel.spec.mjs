// The admin panel (docs/admin.md), in headless Chromium against the local stack: the admin signs
// in → Stats (users ≥ 1) → Users: search a user registered through the API, grant +25 credits with
// a note, disable them (their token is refused at once) → Settings: image quota 7 (a normal user
// sees it within 10 s), a Gemini key shown only as "set …1234", never in full → Audit lists it all.
// Run: BASE_URL=… ADMIN_EMAIL=… ADMIN_PASSWORD=… node tests/e2e/admin_panel.spec.mjs
import { apiCall, assert, log, loginViaApi, loginViaUi, randomEmail, registerViaApi, runScenario, screenshot, tokenOf } from './lib.mjs';

const admin = { email: process.env.ADMIN_EMAIL, password: process.env.ADMIN_PASSWORD };
assert.ok(admin.email && admin.password, 'ADMIN_EMAIL and ADMIN_PASSWORD must be set');

const FAKE_KEY = 'AIza-test-key-1234';
const NOTE = 'e2e goodwill grant';
const QUOTA_WAIT_MS = 10_000;

const isAdminPath = (r, method, p) => r.request().method() === method && new URL(r.url()).pathname === p;

await runScenario('admin-panel', async ({ context }) => {
  const page = await context.newPage();

  // Two normal users through the API: one to adjust and disable, one to watch the quota change.
  const target = { email: randomEmail('e2e-target'), password: 'target-user-pass-1', name: 'Target Person' };
  const watcher = { email: randomEmail('e2e-watcher'), password: 'watcher-user-pass-1' };
  const registered = await registerViaApi(page, target);
  const targetId = registered.user.id;
  assert.equal(registered.user.credits, 0);
  const targetToken = (await loginViaApi(page, target)).token; // a second session of the same user
  const watcherToken = (await registerViaApi(page, watcher)).token;
  assert.equal((await apiCall(page, 'GET', '/api/auth/me', { token: targetToken })).status, 200, 'the target is signed in');
  log(`users registered: ${target.email} (${targetId}), ${watcher.email}`);

  log(`1. admin login as ${admin.email}, Stats`);
  await page.goto('/login');
  await loginViaUi(page, admin);
  const adminToken = await tokenOf(page);
  await page.getByTestId('nav-admin').click();
  await page.waitForURL(/\/admin$/);
  await page.getByTestId('admin-stats').waitFor();
  assert.equal(await page.getByTestId('admin-tab-stats').getAttribute('aria-selected'), 'true', 'Stats is the first tab');
  for (const id of ['stat-users', 'stat-today', 'stat-revenue']) await page.getByTestId(id).waitFor({ state: 'visible' });
  const usersTile = Number((await page.getByTestId('stat-users').textContent()).trim());
  log(`   users tile: ${usersTile}`);
  assert.ok(Number.isInteger(usersTile) && usersTile >= 3, `the users tile counts the admin and the two new users: ${usersTile}`);
  await screenshot(page, 'admin-panel-01-stats');

  log('2. Users: search, grant +25 with a note, disable');
  await page.getByTestId('admin-tab-users').click();
  await page.getByTestId('admin-users').waitFor();
  await page.getByTestId('admin-user-search').fill(target.email);
  const [searchRes] = await Promise.all([
    page.waitForResponse((r) => isAdminPath(r, 'GET', '/api/admin/users') && new URL(r.url()).searchParams.get('q') === target.email),
    page.getByTestId('admin-user-search').press('Enter'),
  ]);
  assert.equal(searchRes.status(), 200);
  const rows = page.getByTestId('admin-user-row');
  await page.waitForFunction(
    (id) => {
      const rs = document.querySelectorAll('[data-testid="admin-user-row"]');
      return rs.length === 1 && rs[0].getAttribute('data-user-id') === id;
    },
    targetId,
  );
  const row = page.locator(`[data-testid="admin-user-row"][data-user-id="${targetId}"]`);
  assert.match(await row.textContent(), new RegExp(target.email.replace(/[.+]/g, '\\$&')));
  assert.equal((await row.getByTestId('admin-user-credits').textContent()).trim(), '0');

  // Grant opens the app's own dialog (amount and audit note), never window.prompt.
  const prompts = [];
  const onDialog = (dialog) => {
    prompts.push(dialog.type());
    dialog.dismiss().catch(() => undefined);
  };
  page.on('dialog', onDialog);
  await row.getByTestId('admin-user-grant').click();
  const grantDialog = page.getByTestId('admin-grant-dialog');
  await grantDialog.getByTestId('admin-grant-amount').fill('0');
  await grantDialog.getByTestId('admin-grant-submit').click();
  await grantDialog.getByRole('alert').first().waitFor(); // 0 is refused in the form
  await grantDialog.getByTestId('admin-grant-amount').fill('25');
  await grantDialog.getByTestId('admin-grant-note').fill(NOTE);
  const [grantRes] = await Promise.all([
    page.waitForResponse((r) => isAdminPath(r, 'PATCH', `/api/admin/users/${targetId}`)),
    grantDialog.getByTestId('admin-grant-submit').click(),
  ]);
  assert.deepEqual(prompts, [], 'no browser dialogs');
  assert.equal(grantRes.status(), 200, 'the adjustment is accepted');
  assert.deepEqual(grantRes.request().postDataJSON(), { credits_delta: 25, note: NOTE });
  await page.waitForFunction(
    (id) => document.querySelector(`[data-testid="admin-user-row"][data-user-id="${id}"] [data-testid="admin-user-credits"]`)?.textContent.trim() === '25',
    targetId,
  );
  assert.equal((await apiCall(page, 'GET', '/api/auth/me', { token: targetToken })).body.credits, 25, 'the user has 25 credits');

  // Disabling asks first, in the app's dialog.
  await row.getByTestId('admin-user-disable').click();
  await page.getByTestId('admin-confirm').waitFor();
  const [disableRes] = await Promise.all([
    page.waitForResponse((r) => isAdminPath(r, 'PATCH', `/api/admin/users/${targetId}`)),
    page.getByTestId('admin-confirm').getByTestId('confirm-button').click(),
  ]);
  page.off('dialog', onDialog);
  assert.equal(disableRes.status(), 200);
  assert.deepEqual(disableRes.request().postDataJSON(), { disabled: true });
  await row.getByText('disabled', { exact: true }).waitFor();
  assert.deepEqual(prompts, [], 'no browser dialogs');
  await page.waitForFunction(
    (id) => /enable/i.test(document.querySelector(`[data-testid="admin-user-row"][data-user-id="${id}"] [data-testid="admin-user-disable"]`)?.textContent || ''),
    targetId,
  );
  const refused = await apiCall(page, 'GET', '/api/auth/me', { token: targetToken });
  assert.equal(refused.status, 401, `a disabled user's token is refused at once: ${JSON.stringify(refused.body)}`);
  assert.equal((await apiCall(page, 'GET', '/api/auth/me', { token: registered.token })).status, 401, 'every token of that user');
  const relogin = await apiCall(page, 'POST', '/api/auth/login', { data: { email: target.email, password: target.password } });
  assert.ok(relogin.status >= 400 && relogin.status < 500, `a disabled user cannot sign in again: ${relogin.status}`);
  assert.equal(await rows.count(), 1);
  await screenshot(page, 'admin-panel-02-users');

  log('3. Settings: image quota 7');
  await page.getByTestId('admin-tab-settings').click();
  const form = page.getByTestId('admin-settings');
  await form.waitFor();
  const quotaImage = page.getByTestId('settings-quotas-image');
  const originalQuota = await quotaImage.inputValue();
  await quotaImage.fill('7');
  const [saveRes] = await Promise.all([
    page.waitForResponse((r) => isAdminPath(r, 'PUT', '/api/admin/settings')),
    page.getByTestId('settings-save').click(),
  ]);
  assert.equal(saveRes.status(), 200, 'the settings are saved');
  const put = saveRes.request().postDataJSON();
  assert.equal(put.pricing.quotas.image, 7);
  assert.deepEqual(put.api_keys, {}, 'no key is sent when none was typed');
  assert.equal((await saveRes.json()).pricing.quotas.image, 7);
  const deadline = Date.now() + QUOTA_WAIT_MS;
  let limit;
  for (;;) {
    limit = (await apiCall(page, 'GET', '/api/auth/me', { token: watcherToken })).body.quota.image.limit;
    if (limit === 7 || Date.now() > deadline) break;
    await page.waitForTimeout(250);
  }
  assert.equal(limit, 7, `a normal user's image quota limit is 7 within ${QUOTA_WAIT_MS / 1000} s`);
  log(`   quota.image.limit ${originalQuota} → 7 seen by a normal user`);

  log('4. Settings: a Gemini key, shown only as set …1234');
  const keyInput = page.getByTestId('settings-gemini_api_key');
  assert.equal(await keyInput.getAttribute('type'), 'password', 'the key field is masked');
  await keyInput.fill(FAKE_KEY);
  const [keyRes] = await Promise.all([
    page.waitForResponse((r) => isAdminPath(r, 'PUT', '/api/admin/settings')),
    page.getByTestId('settings-save').click(),
  ]);
  assert.equal(keyRes.status(), 200);
  assert.deepEqual(keyRes.request().postDataJSON().api_keys, { gemini_api_key: FAKE_KEY });
  const keyRaw = await keyRes.text();
  assert.ok(!keyRaw.includes(FAKE_KEY), 'the answer never holds the key');
  const keyState = JSON.parse(keyRaw).api_keys.gemini_api_key;
  assert.equal(keyState.set, true);
  assert.equal(keyState.last4, '1234');
  // The field's hint says set and the last 4; the field itself is emptied after saving.
  await page.waitForFunction(() => {
    const input = document.querySelector('[data-testid="settings-gemini_api_key"]');
    const hint = input && document.getElementById(input.getAttribute('aria-describedby') || '');
    return input && input.value === '' && hint && /set · …1234/.test(hint.textContent);
  });
  assert.equal(await keyInput.inputValue(), '');
  const leaks = await page.evaluate((key) => ({
    text: document.body.innerText.includes(key),
    html: document.documentElement.outerHTML.includes(key),
    inputs: [...document.querySelectorAll('input, textarea')].filter((el) => el.value.includes(key)).length,
  }), FAKE_KEY);
  assert.deepEqual(leaks, { text: false, html: false, inputs: 0 }, 'the page never shows the full key');
  const settingsNow = await apiCall(page, 'GET', '/api/admin/settings', { token: adminToken });
  assert.ok(!JSON.stringify(settingsNow.body).includes(FAKE_KEY), 'GET /api/admin/settings never holds the key');
  assert.equal(settingsNow.body.api_keys.gemini_api_key.last4, '1234');
  assert.equal(settingsNow.body.pricing.quotas.image, 7);
  await page.evaluate(() => window.scrollTo(0, 0)); // a full-page shot from the top (the sticky shell stays put)
  await screenshot(page, 'admin-panel-03-settings');

  log('5. Audit lists the changes');
  await page.getByTestId('admin-tab-audit').click();
  const audit = page.getByTestId('admin-audit');
  await audit.waitFor();
  const auditText = await audit.textContent();
  assert.ok(auditText.includes(targetId), 'the user changes are listed');
  assert.match(auditText, /user\.update/);
  assert.match(auditText, /credits: 0 → 25/, 'the credit adjustment is listed');
  assert.match(auditText, /disabled: false → true/, 'the disabling is listed');
  assert.match(auditText, /settings\.update/);
  assert.match(auditText, /pricing\/quotas\/image: 10 → 7|pricing\/quotas\/image: \d+ → 7/, 'the quota change is listed');
  assert.match(auditText, /api_keys\/gemini_api_key\/last4: null → "1234"|api_keys\/gemini_api_key\/last4: "\w{4}" → "1234"/, 'the key change is listed by its last 4');
  assert.ok(!auditText.includes(FAKE_KEY), 'the audit log never holds the key');
  assert.ok(!(await page.evaluate((key) => document.body.innerText.includes(key), FAKE_KEY)));
  const auditApi = await apiCall(page, 'GET', '/api/admin/audit', { token: adminToken });
  assert.ok(!JSON.stringify(auditApi.body).includes(FAKE_KEY), 'GET /api/admin/audit never holds the key');
  await screenshot(page, 'admin-panel-04-audit');

  // Leave the shared stack as found for the other scenarios (the key cannot be removed; providers stay sim).
  if (originalQuota !== '7') {
    const restore = await apiCall(page, 'PUT', '/api/admin/settings', { token: adminToken, data: { pricing: { quotas: { image: Number(originalQuota) } } } });
    assert.equal(restore.status, 200, `restoring the image quota: ${JSON.stringify(restore.body)}`);
  }
});
