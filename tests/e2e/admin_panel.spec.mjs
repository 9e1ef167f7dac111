// The admin panel (docs/admin.md), the admin signed in by storageState: Stats (users ≥ 3) → Users:
// search a user registered through the API, grant +25 credits with a note, disable them (their
// tokens are refused at once) → Settings: image quota 7 (a normal user sees it within 10 s), a
// Gemini key shown only as "set …1234", never in full → Audit lists it all.
import { apiCall, expect, loginViaApi, randomEmail, registerViaApi, screenshot, test } from './fixtures.mjs';

test.use({ role: 'admin' });

const FAKE_KEY = 'AIza-test-key-1234';
const NOTE = 'e2e goodwill grant';
const QUOTA_WAIT_MS = 10_000;

const isAdminCall = (r, method, p) => r.request().method() === method && new URL(r.url()).pathname === p;

test('stats, users (grant, disable), settings (quota, key), audit', async ({ page, account }) => {
  const adminToken = account.token;
  // Two normal users through the API: one to adjust and disable, one to watch the quota change.
  const target = { email: randomEmail('e2e-target'), password: 'target-user-pass-1', name: 'Target Person' };
  const watcher = { email: randomEmail('e2e-watcher'), password: 'watcher-user-pass-1' };
  const registered = await registerViaApi(page, target);
  const targetId = registered.user.id;
  expect(registered.user.credits).toBe(0);
  const targetToken = (await loginViaApi(page, target)).token; // a second session of the same user
  const watcherToken = (await registerViaApi(page, watcher)).token;
  expect((await apiCall(page, 'GET', '/api/auth/me', { token: targetToken })).status, 'the target is signed in').toBe(200);

  await test.step('Stats', async () => {
    await page.goto('/admin');
    await expect(page.getByTestId('admin-stats')).toBeVisible();
    await expect(page.getByTestId('admin-tab-stats'), 'Stats is the first tab').toHaveAttribute('aria-selected', 'true');
    for (const id of ['stat-users', 'stat-today', 'stat-revenue']) await expect(page.getByTestId(id)).toBeVisible();
    const usersTile = Number((await page.getByTestId('stat-users').textContent()).trim());
    expect(Number.isInteger(usersTile) && usersTile >= 3, `the users tile counts the admin and the two new users: ${usersTile}`).toBe(true);
    await screenshot(page, 'admin-panel-01-stats');
  });

  const row = page.locator(`[data-testid="admin-user-row"][data-user-id="${targetId}"]`);
  const rows = page.getByTestId('admin-user-row');

  await test.step('Users: search, grant +25 with a note (the app\'s dialog, 0 refused), disable', async () => {
    await page.getByTestId('admin-tab-users').click();
    await expect(page.getByTestId('admin-users')).toBeVisible();
    await page.getByTestId('admin-user-search').fill(target.email);
    const [searchRes] = await Promise.all([
      page.waitForResponse((r) => isAdminCall(r, 'GET', '/api/admin/users') && new URL(r.url()).searchParams.get('q') === target.email),
      page.getByTestId('admin-user-search').press('Enter'),
    ]);
    expect(searchRes.status()).toBe(200);
    await expect(rows).toHaveCount(1);
    await expect(rows.first()).toHaveAttribute('data-user-id', targetId);
    await expect(row).toContainText(target.email);
    await expect(row.getByTestId('admin-user-credits')).toHaveText('0');

    // Grant opens the app's own dialog (amount and audit note), never window.prompt.
    const prompts = [];
    const onDialog = (dialog) => {
      prompts.push(dialog.type());
      dialog.dismiss().catch(() => undefined);
    };
    page.on('dialog', onDialog);
    await row.getByTestId('admin-user-grant').click();
    const grantDialog = page.getByTestId('admin-grant-dialog');
    await expect(grantDialog.getByTestId('admin-grant-amount')).toHaveValue('100');
    // Typed at once: the dialog's form has its defaults from its first render (no reset after opening).
    await grantDialog.getByTestId('admin-grant-amount').fill('0');
    await expect(grantDialog.getByTestId('admin-grant-amount')).toHaveValue('0');
    await grantDialog.getByTestId('admin-grant-submit').click();
    await expect(grantDialog.getByRole('alert').first(), '0 is refused in the form').toBeVisible();
    await grantDialog.getByTestId('admin-grant-amount').fill('25');
    await grantDialog.getByTestId('admin-grant-note').fill(NOTE);
    const [grantRes] = await Promise.all([
      page.waitForResponse((r) => isAdminCall(r, 'PATCH', `/api/admin/users/${targetId}`)),
      grantDialog.getByTestId('admin-grant-submit').click(),
    ]);
    expect(grantRes.status(), 'the adjustment is accepted').toBe(200);
    expect(grantRes.request().postDataJSON()).toEqual({ credits_delta: 25, note: NOTE });
    await expect(row.getByTestId('admin-user-credits')).toHaveText('25');
    expect((await apiCall(page, 'GET', '/api/auth/me', { token: targetToken })).body.credits, 'the user has 25 credits').toBe(25);

    // Disabling asks first, in the app's dialog.
    await row.getByTestId('admin-user-disable').click();
    await expect(page.getByTestId('admin-confirm')).toBeVisible();
    const [disableRes] = await Promise.all([
      page.waitForResponse((r) => isAdminCall(r, 'PATCH', `/api/admin/users/${targetId}`)),
      page.getByTestId('admin-confirm').getByTestId('confirm-button').click(),
    ]);
    page.off('dialog', onDialog);
    expect(disableRes.status()).toBe(200);
    expect(disableRes.request().postDataJSON()).toEqual({ disabled: true });
    await expect(row.getByText('disabled', { exact: true })).toBeVisible();
    expect(prompts, 'no browser dialogs').toEqual([]);
    await expect(row.getByTestId('admin-user-disable')).toHaveText(/enable/i);
    const refused = await apiCall(page, 'GET', '/api/auth/me', { token: targetToken });
    expect(refused.status, `a disabled user's token is refused at once: ${JSON.stringify(refused.body)}`).toBe(401);
    expect((await apiCall(page, 'GET', '/api/auth/me', { token: registered.token })).status, 'every token of that user').toBe(401);
    const relogin = await apiCall(page, 'POST', '/api/auth/login', { data: { email: target.email, password: target.password } });
    expect(relogin.status >= 400 && relogin.status < 500, `a disabled user cannot sign in again: ${relogin.status}`).toBe(true);
    await expect(rows).toHaveCount(1);
    await screenshot(page, 'admin-panel-02-users');
  });

  let originalQuota = null;

  await test.step('Settings: image quota 7, seen by a normal user within 10 s', async () => {
    await page.getByTestId('admin-tab-settings').click();
    await expect(page.getByTestId('admin-settings')).toBeVisible();
    const quota = page.getByTestId('settings-quotas-image');
    originalQuota = await quota.inputValue();
    await quota.fill('7');
    const [saveRes] = await Promise.all([
      page.waitForResponse((r) => isAdminCall(r, 'PUT', '/api/admin/settings')),
      page.getByTestId('settings-save').click(),
    ]);
    expect(saveRes.status(), 'the settings are saved').toBe(200);
    const put = saveRes.request().postDataJSON();
    expect(put.pricing.quotas.image).toBe(7);
    expect(put.api_keys, 'no key is sent when none was typed').toEqual({});
    expect((await saveRes.json()).pricing.quotas.image).toBe(7);
    await expect
      .poll(async () => (await apiCall(page, 'GET', '/api/auth/me', { token: watcherToken })).body.quota.image.limit, {
        message: `a normal user's image quota limit is 7 within ${QUOTA_WAIT_MS / 1000} s`,
        timeout: QUOTA_WAIT_MS,
      })
      .toBe(7);
  });

  await test.step('Settings: a Gemini key, shown only as set …1234', async () => {
    const keyInput = page.getByTestId('settings-gemini_api_key');
    await expect(keyInput, 'the key field is masked').toHaveAttribute('type', 'password');
    await keyInput.fill(FAKE_KEY);
    const [keyRes] = await Promise.all([
      page.waitForResponse((r) => isAdminCall(r, 'PUT', '/api/admin/settings')),
      page.getByTestId('settings-save').click(),
    ]);
    expect(keyRes.status()).toBe(200);
    expect(keyRes.request().postDataJSON().api_keys).toEqual({ gemini_api_key: FAKE_KEY });
    const keyRaw = await keyRes.text();
    expect(keyRaw.includes(FAKE_KEY), 'the answer never holds the key').toBe(false);
    const keyState = JSON.parse(keyRaw).api_keys.gemini_api_key;
    expect(keyState).toMatchObject({ set: true, last4: '1234' });
    // The field is emptied after saving; its hint (aria-describedby) says set and the last 4.
    await expect(keyInput).toHaveValue('');
    await expect(keyInput).toHaveAccessibleDescription(/set · …1234/);
    const leaks = await page.evaluate((key) => ({
      text: document.body.innerText.includes(key),
      html: document.documentElement.outerHTML.includes(key),
      inputs: [...document.querySelectorAll('input, textarea')].filter((el) => el.value.includes(key)).length,
    }), FAKE_KEY);
    expect(leaks, 'the page never shows the full key').toEqual({ text: false, html: false, inputs: 0 });
    const settingsNow = await apiCall(page, 'GET', '/api/admin/settings', { token: adminToken });
    expect(JSON.stringify(settingsNow.body).includes(FAKE_KEY), 'GET /api/admin/settings never holds the key').toBe(false);
    expect(settingsNow.body.api_keys.gemini_api_key.last4).toBe('1234');
    expect(settingsNow.body.pricing.quotas.image).toBe(7);
    await page.evaluate(() => window.scrollTo(0, 0)); // a full-page shot from the top (the sticky shell stays put)
    await screenshot(page, 'admin-panel-03-settings');
  });

  await test.step('Audit lists the changes', async () => {
    await page.getByTestId('admin-tab-audit').click();
    const audit = page.getByTestId('admin-audit');
    await expect(audit).toContainText(targetId);
    await expect(audit).toContainText(/settings\.update/);
    const auditText = await audit.textContent();
    expect(auditText, 'the user changes are listed').toMatch(/user\.update/);
    expect(auditText, 'the credit adjustment is listed').toMatch(/credits: 0 → 25/);
    expect(auditText, 'the disabling is listed').toMatch(/disabled: false → true/);
    expect(auditText, 'the quota change is listed').toMatch(/pricing\/quotas\/image: \d+ → 7/);
    expect(auditText, 'the key change is listed by its last 4').toMatch(/api_keys\/gemini_api_key\/last4: (null|"\w{4}") → "1234"/);
    expect(auditText.includes(FAKE_KEY), 'the audit log never holds the key').toBe(false);
    expect(await page.evaluate((key) => document.body.innerText.includes(key), FAKE_KEY)).toBe(false);
    const auditApi = await apiCall(page, 'GET', '/api/admin/audit', { token: adminToken });
    expect(JSON.stringify(auditApi.body).includes(FAKE_KEY), 'GET /api/admin/audit never holds the key').toBe(false);
    await screenshot(page, 'admin-panel-04-audit');
  });

  // Leave the shared stack as found for the other specs (the key cannot be removed; providers stay sim).
  if (originalQuota !== null && originalQuota !== '7') {
    const restore = await apiCall(page, 'PUT', '/api/admin/settings', { token: adminToken, data: { pricing: { quotas: { image: Number(originalQuota) } } } });
    expect(restore.status, `restoring the image quota: ${JSON.stringify(restore.body)}`).toBe(200);
  }
});
