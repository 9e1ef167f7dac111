// The browser tier on the @playwright/test runner, driving Debian's Chromium (no browser is ever
// downloaded). `make test` runs it through pytest (tests/e2e/conftest.py starts the stack and sets
// BASE_URL); against `make dev` run one spec with
//   cd frontend && npx playwright test chat.spec.mjs      (frontend/playwright.config.mjs re-exports this file)
// (BASE_URL defaults to http://127.0.0.1:8080, ADMIN_EMAIL/ADMIN_PASSWORD to make dev's admin).
//
// Project "setup" (auth.setup.mjs) signs the shared user and the admin in once and saves their
// storageState under artifacts/e2e/.auth/; every spec depends on it and opens its pages already
// signed in (see fixtures.mjs: test.use({ role })). Only login.spec.mjs goes through the sign-in UI.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..', '..');
const ARTIFACTS = process.env.ARTIFACTS || path.join(ROOT, 'artifacts', 'e2e');
const BASE_URL = (process.env.BASE_URL || 'http://127.0.0.1:8080').replace(/\/+$/, '');

// Never fetch a browser, whatever runs this config (the launch below names the executable).
process.env.PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD = '1';

export default {
  testDir: HERE,
  outputDir: path.join(ARTIFACTS, 'test-results'), // traces and screenshots of failed tests
  forbidOnly: true,
  retries: 0, // a flaky test is a failing test
  // 2 cores: two browsers beside the stack. Specs (files) run in parallel; a spec's steps in order.
  workers: Number(process.env.E2E_WORKERS || 2),
  fullyParallel: false,
  timeout: 240_000, // per test (features.spec.mjs makes 3 videos one after the other); every wait inside has its own, shorter deadline
  expect: { timeout: 15_000 },
  reporter: [
    ['list'],
    ['json', { outputFile: path.join(ARTIFACTS, 'report.json') }],
    ['html', { outputFolder: path.join(ARTIFACTS, 'report'), open: 'never' }],
  ],
  use: {
    baseURL: BASE_URL,
    viewport: { width: 1280, height: 800 },
    locale: 'en-US',
    actionTimeout: 15_000,
    navigationTimeout: 20_000,
    // A failed test keeps its trace (DOM snapshots, network, console; no screencast, which costs CPU on every passing test too).
    trace: { mode: 'retain-on-failure', screenshots: false, snapshots: true, sources: true },
    screenshot: 'only-on-failure',
    launchOptions: {
      executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--autoplay-policy=no-user-gesture-required',
      ],
    },
  },
  projects: [
    { name: 'setup', testMatch: /auth\.setup\.mjs$/ },
    { name: 'chromium', testMatch: /\.spec\.mjs$/, dependencies: ['setup'] },
  ],
};
