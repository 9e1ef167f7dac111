// Billing through the sandbox checkout (docs/billing.md), in headless Chromium against the local
// stack (no Stripe key): register (0 credits) → Pricing → buy the first package → the sandbox
// checkout page (same origin) → Pay → /account shows the order PAID and the header badge the
// package's credits → buy again → Cancel → the order is CANCELED and the credits unchanged.
// Run: BASE_URL=… node tests/e2e/billing.spec.mjs
import { BASE_URL, apiCall, assert, log, randomEmail, registerViaUi, runScenario, screenshot, tokenOf, waitForCredits } from './lib.mjs';

const SANDBOX = /\/api\/billing\/sandbox\/([0-9a-f]+)\?sig=[0-9a-f]+$/;

/** Pricing → the first package's Buy → the sandbox page; answers the order id. */
async function checkoutFirstPackage(page, token, pkg, { shot } = {}) {
  await page.getByTestId('nav-pricing').click();
  await page.waitForURL(/\/pricing$/);
  const card = page.getByTestId('package-card').first();
  await card.waitFor();
  assert.equal(await card.getAttribute('data-package-id'), pkg.id, 'the first card is the first package');
  assert.match(await card.textContent(), new RegExp(`${pkg.name}.*${pkg.credits}`), `the card shows ${pkg.name} and ${pkg.credits} credits`);
  if (shot?.pricing) await screenshot(page, shot.pricing);
  const [res] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/api/billing/checkout'),
    card.getByTestId('buy-button').click(),
  ]);
  assert.equal(res.status(), 201, 'POST /api/billing/checkout answers 201');
  assert.deepEqual(res.request().postDataJSON(), { package_id: pkg.id }, 'the client names only the package');
  // (The answer's body is gone once the page navigates: read the order back from the API.)
  await page.waitForURL(SANDBOX);
  const here = new URL(page.url());
  assert.equal(here.origin, new URL(BASE_URL).origin, 'the sandbox checkout page is on the same origin');
  const orderId = here.pathname.match(/sandbox\/([0-9a-f]+)$/)[1];
  const newest = (await apiCall(page, 'GET', '/api/billing/orders', { token })).body.items[0];
  assert.equal(newest.id, orderId, 'the checkout page is for the order just created');
  assert.equal(newest.status, 'PENDING');
  assert.equal(newest.provider, 'sandbox');
  assert.equal(newest.package_id, pkg.id);
  assert.equal(newest.credits, pkg.credits);
  assert.equal(newest.price_cents, pkg.price_cents);
  await page.getByTestId('sandbox-pay').waitFor();
  await page.getByTestId('sandbox-cancel').waitFor();
  const price = (await page.getByTestId('sandbox-price').textContent()).trim();
  assert.equal(price, `${(pkg.price_cents / 100).toFixed(2)} ${pkg.currency.toUpperCase()}`, 'the sandbox page shows the price');
  assert.match(await page.locator('main').textContent(), new RegExp(`${pkg.name}.*${pkg.credits} credits`));
  if (shot?.sandbox) await screenshot(page, shot.sandbox);
  return orderId;
}

await runScenario('billing', async ({ context }) => {
  const page = await context.newPage();
  const user = { email: randomEmail('e2e-billing'), password: `pw-${Math.random().toString(36).slice(2, 10)}!` };

  log(`1. register ${user.email}: 0 credits`);
  await registerViaUi(page, user);
  await waitForCredits(page, 0);
  const token = await tokenOf(page);
  const packages = await apiCall(page, 'GET', '/api/billing/packages');
  assert.equal(packages.status, 200);
  const pkg = packages.body.items[0];
  assert.ok(pkg && pkg.credits > 0, `there is a first package: ${JSON.stringify(packages.body)}`);
  log(`   first package: ${JSON.stringify(pkg)}`);

  log('2. buy it, Pay on the sandbox page');
  const paidId = await checkoutFirstPackage(page, token, pkg, { shot: { pricing: 'billing-01-pricing', sandbox: 'billing-02-sandbox' } });
  await page.getByTestId('sandbox-pay').click();
  await page.waitForURL((u) => u.pathname === '/account' && u.searchParams.get('order') === paidId && !u.searchParams.has('canceled'));
  const result = page.getByTestId('order-result');
  await result.waitFor();
  await page.waitForFunction(() => document.querySelector('[data-testid="order-result"]')?.getAttribute('data-status') === 'PAID');
  assert.match(await result.textContent(), new RegExp(`${pkg.credits} credits were added`));
  await page.locator(`[data-testid="order-row"][data-order-id="${paidId}"][data-status="PAID"]`).waitFor();
  await waitForCredits(page, pkg.credits);
  await page.locator(`[data-testid="account-credits"][data-credits="${pkg.credits}"]`).waitFor();
  const me = await apiCall(page, 'GET', '/api/auth/me', { token });
  assert.equal(me.body.credits, pkg.credits, 'the server agrees on the balance');
  await screenshot(page, 'billing-03-account-paid');

  log('3. buy again, Cancel on the sandbox page');
  const canceledId = await checkoutFirstPackage(page, token, pkg, { shot: { sandbox: 'billing-04-sandbox-again' } });
  assert.notEqual(canceledId, paidId, 'a new order');
  await page.getByTestId('sandbox-cancel').click();
  await page.waitForURL((u) => u.pathname === '/account' && u.searchParams.get('order') === canceledId && u.searchParams.get('canceled') === '1');
  await page.waitForFunction(() => document.querySelector('[data-testid="order-result"]')?.getAttribute('data-status') === 'CANCELED');
  assert.match(await result.textContent(), /Checkout canceled/);
  await page.locator(`[data-testid="order-row"][data-order-id="${canceledId}"][data-status="CANCELED"]`).waitFor();
  await page.locator(`[data-testid="order-row"][data-order-id="${paidId}"][data-status="PAID"]`).waitFor();
  await page.waitForTimeout(500); // a late refresh would show a wrong balance here
  await waitForCredits(page, pkg.credits);
  assert.equal(await page.getByTestId('account-credits').getAttribute('data-credits'), String(pkg.credits));
  const orders = await apiCall(page, 'GET', '/api/billing/orders', { token });
  assert.deepEqual(orders.body.items.map((o) => [o.id, o.status]), [[canceledId, 'CANCELED'], [paidId, 'PAID']], 'newest first');
  assert.equal((await apiCall(page, 'GET', '/api/auth/me', { token })).body.credits, pkg.credits, 'credits unchanged by the cancel');
  await screenshot(page, 'billing-05-account-canceled');
});
