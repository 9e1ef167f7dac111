// The admin (signed in by storageState) sees the Admin nav item and page, and the admin API answers
// them (a 404 there is a broken stack and fails; it is never a reason to skip); a normal user sees
// neither, not even by typing the address, and the admin API refuses them.
import { expect, expectSignedIn, screenshot, test } from './fixtures.mjs';

test.describe('the admin', () => {
  test.use({ role: 'admin' });

  test('sees the Admin nav item and page; the admin API answers', async ({ page, account }) => {
    const probe = await page.request.get('/api/admin/stats', { headers: { Authorization: `Bearer ${account.token}` } });
    expect(probe.status(), 'the admin API answers the admin').toBe(200);
    await page.goto('/video');
    await expectSignedIn(page);
    const adminNav = page.getByTestId('nav-admin');
    await expect(adminNav).toBeVisible();
    expect(new URL(await adminNav.evaluate((a) => a.href)).pathname).toBe('/admin');
    await screenshot(page, '10-admin-nav');
    await adminNav.click();
    await expect(page).toHaveURL(/\/admin$/);
    await expect(page.getByTestId('admin-tab-stats')).toBeVisible();
    await expect(page.getByTestId('admin-stats')).toBeVisible();
    await screenshot(page, '10-admin');
  });
});

test.describe('a normal user', () => {
  test.use({ role: 'user' });

  test('sees no Admin nav item or page; the admin API refuses them', async ({ page, account }) => {
    await page.goto('/gallery');
    await expectSignedIn(page);
    await expect(page.getByTestId('nav-gallery')).toBeVisible();
    await expect(page.getByTestId('nav-admin'), 'a normal user has no Admin nav item').toHaveCount(0);
    // Typing the address does not show the page either.
    await page.goto('/admin');
    await expect(page).toHaveURL(/\/video$/);
    await expectSignedIn(page);
    await expect(page.getByTestId('nav-admin')).toHaveCount(0);
    await expect(page.getByTestId('admin-stats')).toHaveCount(0);
    // Outside the page, so the expected 403 is not a console error.
    const stats = await page.request.get('/api/admin/stats', { headers: { Authorization: `Bearer ${account.token}` } });
    expect(stats.status(), 'the admin API refuses a normal user').toBe(403);
  });
});
