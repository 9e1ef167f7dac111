// Runs once before the specs (project "setup" in playwright.config.mjs): signs the admin in and
// registers the shared user, through the API, and saves each session as a storageState file
// (artifacts/e2e/.auth/<role>.json) plus its credentials (<role>.account.json) for the specs that
// `test.use({ role: 'admin' | 'user' })`. No spec signs out of these sessions (sign-out retires
// the token on the server); login.spec.mjs signs in and out with its own users.
import { mkdirSync, writeFileSync } from 'node:fs';
import {
  ADMIN, AUTH_DIR, accountFile, authFile, expect, loginViaApi, randomEmail, randomPassword, registerViaApi, storageStateFor, test,
} from './fixtures.mjs';

test.use({ role: 'guest' });

function save(role, account) {
  writeFileSync(authFile(role), JSON.stringify(storageStateFor(account.token), null, 2));
  writeFileSync(accountFile(role), JSON.stringify(account, null, 2));
}

test('sign the admin and the shared user in once', async ({ request }) => {
  mkdirSync(AUTH_DIR, { recursive: true });

  const admin = await loginViaApi(request, ADMIN);
  expect(admin.user.role, `${ADMIN.email} is the stack's admin`).toBe('admin');
  save('admin', { ...ADMIN, token: admin.token, user: admin.user });

  const creds = { email: randomEmail('e2e-shared'), password: randomPassword(), name: 'Shared User' };
  const user = await registerViaApi(request, creds);
  expect(user.user.role).toBe('user');
  save('user', { ...creds, token: user.token, user: user.user });
});
