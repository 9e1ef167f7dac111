// A guest who opens a page is sent to /login?next=<page>; after signing in they land on that page.
import { assert, log, loginViaUi, randomEmail, runScenario } from './lib.mjs';

await runScenario('login-next', async ({ context }) => {
  const page = await context.newPage();
  const user = { email: randomEmail('e2e-next'), password: 'next-user-pass-1' };
  const res = await page.request.post('/api/auth/register', { data: user });
  assert.equal(res.status(), 201);

  await page.goto('/gallery?type=video');
  await page.waitForURL(/\/login\?next=%2Fgallery%3Ftype%3Dvideo$/);
  const visited = [];
  page.on('framenavigated', (f) => {
    if (f === page.mainFrame()) visited.push(new URL(f.url()).pathname + new URL(f.url()).search);
  });
  await loginViaUi(page, user);
  await page.waitForTimeout(1_000); // let any late redirect happen
  const here = new URL(page.url());
  log(`after sign-in: ${here.pathname}${here.search} (navigations: ${visited.join(' → ')})`);
  assert.equal(`${here.pathname}${here.search}`, '/gallery?type=video', `sign-in returns to ?next=, navigations: ${visited.join(' → ')}`);
});
