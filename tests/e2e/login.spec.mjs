// The one spec that goes through the sign-in UI (every other spec starts signed in by storageState):
// a guest is sent to /login, registers through the form, signs out (the token is forgotten and
// retired), signs in through the form again and finds their history; a guest who asked for a page
// comes back to it after signing in.
import { apiCall, expect, expectSignedIn, randomEmail, randomPassword, screenshot, test, tokenOf, waitCompleted } from './fixtures.mjs';

test.use({ role: 'guest' });

/** Signs in through the login form (the page must be on /login). */
async function signInThroughTheForm(page, { email, password }) {
  await expect(page.getByTestId('login-form')).toBeVisible();
  await page.getByTestId('email-input').fill(email);
  await page.getByTestId('password-input').fill(password);
  await page.getByTestId('submit-button').click();
  await expect(page).not.toHaveURL(/\/login(\?|$)/);
  await expectSignedIn(page);
}

test('register through the form, sign out, sign in again: the history is kept', async ({ page }) => {
  const user = { email: randomEmail('e2e-login'), password: randomPassword(), name: 'E2E Tester' };

  await test.step('a guest is sent to /login and registers from there', async () => {
    await page.goto('/');
    await expect(page).toHaveURL(/\/login(\?|$)/);
    await expect(page.getByTestId('login-form')).toBeVisible();
    await screenshot(page, '01-login');
    await page.getByTestId('to-register').click();
    await expect(page).toHaveURL(/\/register$/);
    await expect(page.getByTestId('register-form')).toBeVisible();
    await page.getByTestId('name-input').fill(user.name);
    await page.getByTestId('email-input').fill(user.email);
    await page.getByTestId('password-input').fill(user.password);
    await screenshot(page, '02-register');
    await page.getByTestId('submit-button').click();
    await expect(page).toHaveURL(/\/video$/);
    await expectSignedIn(page);
    const me = await apiCall(page, 'GET', '/api/auth/me', { token: await tokenOf(page) });
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ email: user.email, role: 'user', name: user.name });
  });

  const token = await tokenOf(page);
  const made = await apiCall(page, 'POST', '/api/ai/image', { token, data: { prompt: 'A lighthouse in neon fog, e2e login' } });
  expect(made.status, JSON.stringify(made.body)).toBe(202);
  await waitCompleted(page, token, made.body.id);

  await test.step('sign out: back to /login, the token is forgotten and retired', async () => {
    await page.getByTestId('logout-button').click();
    await expect(page).toHaveURL(/\/login/);
    expect(await tokenOf(page), 'sign-out clears the token').toBeNull();
    await expect.poll(async () => (await apiCall(page, 'GET', '/api/auth/me', { token })).status, { message: 'the old token is refused' }).toBe(401);
  });

  await test.step('sign in through the form: the history is still there', async () => {
    await signInThroughTheForm(page, user);
    await page.getByTestId('nav-gallery').click();
    await expect(page).toHaveURL(/\/gallery$/);
    const cards = page.getByTestId('task-grid').getByTestId('task-card');
    await expect(cards).toHaveCount(1);
    await expect(cards.first()).toHaveAttribute('data-task-id', made.body.id);
    await expect(cards.first()).toHaveAttribute('data-status', 'COMPLETED');
  });
});

test('a guest who asked for a page comes back to it after signing in', async ({ page }) => {
  const user = { email: randomEmail('e2e-next'), password: 'next-user-pass-1' };
  expect((await page.request.post('/api/auth/register', { data: user })).status()).toBe(201);

  await page.goto('/gallery?type=video');
  await expect(page).toHaveURL(/\/login\?next=%2Fgallery%3Ftype%3Dvideo$/);
  const visited = [];
  page.on('framenavigated', (f) => {
    if (f === page.mainFrame()) visited.push(new URL(f.url()).pathname + new URL(f.url()).search);
  });
  await signInThroughTheForm(page, user);
  // The gallery has rendered with the filter of the address asked for: any redirect has happened.
  await expect(page.getByTestId('filter-type')).toHaveValue('video');
  const here = new URL(page.url());
  expect(`${here.pathname}${here.search}`, `sign-in returns to ?next=, navigations: ${visited.join(' → ')}`).toBe('/gallery?type=video');
});
