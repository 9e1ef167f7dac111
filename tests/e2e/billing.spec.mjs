// Billing through the sandbox checkout (docs/billing.md), no Stripe key: a new user (0 credits,
// signed in by storageState) → Pricing → buy the first package → the sandbox checkout page (same
// origin) → Pay → /account shows the order PAID and the header badge the package's credits → buy
// again → Cancel → the order is CANCELED and the credits unchanged.
import { BASE_URL, apiCall, expect, expectCredits, screenshot, test } from './fixtures.mjs';

const SANDBOX = /\/api\/billing\/sandbox\/([0-9a-f]+)\?sig=[0-9a-f]+$/;

/** Pricing → the first package's Buy → the sandbox page; answers the order id. */
async function checkoutFirstPackage(page, token, pkg, { shot } = {}) {
  await page.getByTestId('nav-pricing').click();
  await expect(page).toHaveURL(/\/pricing$/);
  const card = page.getByTestId('package-card').first();
  await expect(card, 'the first card is the first package').toHaveAttribute('data-package-id', pkg.id);
  await expect(card, `the card shows ${pkg.name} and ${pkg.credits} credits`).toContainText(new RegExp(`${pkg.name}.*${pkg.credits}`));
  if (shot?.pricing) await screenshot(page, shot.pricing);
  const [res] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/api/billing/checkout'),
    card.getByTestId('buy-button').click(),
  ]);
  expect(res.status(), 'POST /api/billing/checkout answers 201').toBe(201);
  expect(res.request().postDataJSON(), 'the client names only the package').toEqual({ package_id: pkg.id });
  // (The answer's body is gone once the page navigates: read the order back from the API.)
  await expect(page).toHaveURL(SANDBOX);
  const here = new URL(page.url());
  expect(here.origin, 'the sandbox checkout page is on the same origin').toBe(new URL(BASE_URL).origin);
  const orderId = here.pathname.match(/sandbox\/([0-9a-f]+)$/)[1];
  const newest = (await apiCall(page, 'GET', '/api/billing/orders', { token })).body.items[0];
  expect(newest.id, 'the checkout page is for the order just created').toBe(orderId);
  expect(newest).toMatchObject({ status: 'PENDING', provider: 'sandbox', package_id: pkg.id, credits: pkg.credits, price_cents: pkg.price_cents });
  await expect(page.getByTestId('sandbox-pay')).toBeVisible();
  await expect(page.getByTestId('sandbox-cancel')).toBeVisible();
  await expect(page.getByTestId('sandbox-price'), 'the sandbox page shows the price')
    .toHaveText(`${(pkg.price_cents / 100).toFixed(2)} ${pkg.currency.toUpperCase()}`);
  await expect(page.locator('main')).toContainText(new RegExp(`${pkg.name}.*${pkg.credits} credits`));
  if (shot?.sandbox) await screenshot(page, shot.sandbox);
  return orderId;
}

test('sandbox checkout: pay, then cancel', async ({ page, account }) => {
  const token = account.token;
  await page.goto('/video');
  await expectCredits(page, 0);
  const packages = await apiCall(page, 'GET', '/api/billing/packages');
  expect(packages.status).toBe(200);
  const pkg = packages.body.items[0];
  expect(pkg?.credits, `there is a first package: ${JSON.stringify(packages.body)}`).toBeGreaterThan(0);
  const result = page.getByTestId('order-result');

  const paidId = await test.step('buy it, Pay on the sandbox page', async () => {
    const id = await checkoutFirstPackage(page, token, pkg, { shot: { pricing: 'billing-01-pricing', sandbox: 'billing-02-sandbox' } });
    await page.getByTestId('sandbox-pay').click();
    await page.waitForURL((u) => u.pathname === '/account' && u.searchParams.get('order') === id && !u.searchParams.has('canceled'));
    await expect(result).toHaveAttribute('data-status', 'PAID');
    await expect(result).toContainText(`${pkg.credits} credits were added`);
    await expect(page.locator(`[data-testid="order-row"][data-order-id="${id}"]`)).toHaveAttribute('data-status', 'PAID');
    await expectCredits(page, pkg.credits);
    await expect(page.getByTestId('account-credits')).toHaveAttribute('data-credits', String(pkg.credits));
    expect((await apiCall(page, 'GET', '/api/auth/me', { token })).body.credits, 'the server agrees on the balance').toBe(pkg.credits);
    await screenshot(page, 'billing-03-account-paid');
    return id;
  });

  await test.step('buy again, Cancel on the sandbox page: CANCELED, credits unchanged', async () => {
    const canceledId = await checkoutFirstPackage(page, token, pkg, { shot: { sandbox: 'billing-04-sandbox-again' } });
    expect(canceledId, 'a new order').not.toBe(paidId);
    await page.getByTestId('sandbox-cancel').click();
    await page.waitForURL((u) => u.pathname === '/account' && u.searchParams.get('order') === canceledId && u.searchParams.get('canceled') === '1');
    await expect(result).toHaveAttribute('data-status', 'CANCELED');
    await expect(result).toContainText('Checkout canceled');
    await expect(page.locator(`[data-testid="order-row"][data-order-id="${canceledId}"]`)).toHaveAttribute('data-status', 'CANCELED');
    await expect(page.locator(`[data-testid="order-row"][data-order-id="${paidId}"]`)).toHaveAttribute('data-status', 'PAID');
    // The server is the authority: it says the cancel changed nothing, and the page says the same.
    const orders = await apiCall(page, 'GET', '/api/billing/orders', { token });
    expect(orders.body.items.map((o) => [o.id, o.status]), 'newest first').toEqual([[canceledId, 'CANCELED'], [paidId, 'PAID']]);
    expect((await apiCall(page, 'GET', '/api/auth/me', { token })).body.credits, 'credits unchanged by the cancel').toBe(pkg.credits);
    await expectCredits(page, pkg.credits);
    await expect(page.getByTestId('account-credits')).toHaveAttribute('data-credits', String(pkg.credits));
    await screenshot(page, 'billing-05-account-canceled');
  });
});
