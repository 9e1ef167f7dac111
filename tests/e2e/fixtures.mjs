// The browser tier's fixtures and helpers on @playwright/test (resolved from frontend/node_modules,
// where `npm ci` installs it; the specs live beside the Python tiers, outside that package).
//
// Sign-in: `test.use({ role })` picks the session a spec's `page` starts with, through storageState
// (the app keeps its session token in localStorage `sora.token`):
//   'fresh' (default) a new user registered through the API for this test: 0 credits, no history
//   'user'            the shared user auth.setup.mjs registered once (read-only checks)
//   'admin'           the stack's admin, signed in once by auth.setup.mjs
//   'guest'           no session
// The `account` fixture answers that session's {email, password, token, user} (null for a guest).
//
// Every page of the `context` and of contexts made by `newContext` is watched: a console error,
// an uncaught exception or a 5xx response fails the test at its end, listed in the failure.
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateSync } from 'node:zlib';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const require = createRequire(path.join(repoRoot, 'frontend', 'package.json'));
const { test: base, expect } = require('@playwright/test');
const AXE = require.resolve('axe-core/axe.min.js');

export { expect };
export const BASE_URL = (process.env.BASE_URL || 'http://127.0.0.1:8080').replace(/\/+$/, '');
export const ARTIFACTS = process.env.ARTIFACTS || path.join(repoRoot, 'artifacts', 'e2e');
export const AUTH_DIR = path.join(ARTIFACTS, '.auth');
mkdirSync(ARTIFACTS, { recursive: true });

/** The stack's admin (tests/e2e/conftest.py sets these; the defaults are `make dev`'s). */
export const ADMIN = {
  email: process.env.ADMIN_EMAIL || 'admin@example.com',
  password: process.env.ADMIN_PASSWORD || 'sora-admin-2026',
};

export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };
export const SIZES = { desktop: { width: 1440, height: 900 }, phone: PHONE };
export const LANGS = ['en', 'zh'];

/** A storageState (Playwright's shape) holding a session token and the UI language in localStorage. */
export function storageStateFor(token, lang = 'en') {
  const localStorage = [{ name: 'sora.lang', value: lang }];
  if (token) localStorage.push({ name: 'sora.token', value: token });
  return { cookies: [], origins: [{ origin: BASE_URL, localStorage }] };
}

export const authFile = (role) => path.join(AUTH_DIR, `${role}.json`);
export const accountFile = (role) => path.join(AUTH_DIR, `${role}.account.json`);

export function randomEmail(prefix = 'e2e') {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}@example.com`;
}

export function randomPassword() {
  return `pw-${Math.random().toString(36).slice(2, 10)}!`;
}

/**
 * Calls the API outside the page (no console noise for an expected 4xx) with a bearer token.
 * `target` is a Page (its `request`) or an APIRequestContext; answers {status, body, headers},
 * the body parsed as JSON when it is JSON.
 */
export async function apiCall(target, method, p, { token, data, headers } = {}) {
  const request = 'goto' in target ? target.request : target;
  const res = await request.fetch(p, {
    method,
    headers: { ...(token ? { Authorization: `Bearer ${token}` } : {}), ...(headers || {}) },
    ...(data !== undefined ? { data } : {}),
  });
  const text = await res.text();
  let body = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = text;
  }
  return { status: res.status(), body, headers: res.headers() };
}

/** Registers through the API; answers {token, user} (fails unless 201). */
export async function registerViaApi(target, { email, password, name }) {
  const r = await apiCall(target, 'POST', '/api/auth/register', { data: { email, password, ...(name ? { name } : {}) } });
  expect(r.status, `POST /api/auth/register answers 201: ${JSON.stringify(r.body)}`).toBe(201);
  return r.body;
}

/** Signs in through the API; answers {token, user} (fails unless 200). */
export async function loginViaApi(target, { email, password }) {
  const r = await apiCall(target, 'POST', '/api/auth/login', { data: { email, password } });
  expect(r.status, `POST /api/auth/login answers 200: ${JSON.stringify(r.body)}`).toBe(200);
  return r.body;
}

/** The session token the app keeps in localStorage (null when signed out). */
export async function tokenOf(page) {
  return page.evaluate(() => localStorage.getItem('sora.token'));
}

/** Waits until the header's credits badge shows `n` (its data-credits). */
export async function expectCredits(page, n, timeout = 10_000) {
  await expect(page.getByTestId('credits-badge'), `the credits badge shows ${n}`).toHaveAttribute('data-credits', String(n), { timeout });
}

/** Waits until the app knows the session's user: the header's credits badge has a value. */
export async function expectSignedIn(page) {
  await expect(page.getByTestId('nav-video')).toBeVisible();
  await expect(page.getByTestId('credits-badge')).toHaveAttribute('data-credits', /^\d+$/);
}

/**
 * Polls GET /api/ai/tasks/<id> until the task is COMPLETED (answered) or FAILED (the test fails
 * with the task's error); fails after `timeout` ms either way.
 */
export async function waitCompleted(target, token, id, timeout = 60_000) {
  let last = null;
  await expect
    .poll(async () => {
      last = await apiCall(target, 'GET', `/api/ai/tasks/${id}`, { token });
      return last.body?.status;
    }, { message: `task ${id} finishes`, timeout, intervals: [250] })
    .toMatch(/^(COMPLETED|FAILED)$/);
  expect(last.body.status, `task ${id} failed: ${JSON.stringify(last.body.error)}`).toBe('COMPLETED');
  return last.body;
}

/** Resolves once the page has rendered two more frames: the events sent before it are handled. */
export async function nextFrames(page) {
  await page.evaluate(() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(() => done(true)))));
}

/** Waits until the page shows content: no loading placeholder, web fonts loaded. */
export async function settled(page) {
  await expect(page.getByTestId('loading-state')).toHaveCount(0);
  await page.evaluate(() => document.fonts.ready.then(() => true));
}

/**
 * A screenshot to artifacts/e2e/<name>.png once the page has settled; animations are stopped
 * (finished ones jump to their end) so the picture shows the screen, not a transition.
 */
export async function screenshot(page, name, { fullPage = true } = {}) {
  await settled(page);
  const file = path.join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage, animations: 'disabled' });
  return file;
}

/** axe-core (from npm) on the page: answers its serious and critical WCAG 2.1 A/AA violations. */
export async function axeViolations(page) {
  if (!(await page.evaluate(() => Boolean(window.axe)))) await page.addScriptTag({ path: AXE });
  return page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ['violations'], runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] });
    return r.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`);
  });
}

/** Records a page's console errors, uncaught exceptions and 5xx responses into `problems`. */
function watchPage(page, problems) {
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    const where = msg.location()?.url || '';
    if (/favicon/i.test(where) || (/favicon/i.test(msg.text()) && /404/.test(msg.text()))) return;
    problems.push(`console.error: ${msg.text()}${where ? ` (${where})` : ''}`);
  });
  page.on('pageerror', (err) => problems.push(`uncaught exception: ${err.stack || err.message}`));
  page.on('response', (res) => {
    if (res.status() >= 500) problems.push(`HTTP ${res.status()} ${res.request().method()} ${res.url()}`);
  });
}

function readAccount(role) {
  try {
    return JSON.parse(readFileSync(accountFile(role), 'utf8'));
  } catch (err) {
    throw new Error(`${accountFile(role)} is missing: the "setup" project (auth.setup.mjs) signs ${role} in first (${err.message})`);
  }
}

export const test = base.extend({
  role: ['fresh', { option: true }],

  account: async ({ role, playwright }, use) => {
    if (role === 'guest') return use(null);
    if (role === 'user' || role === 'admin') return use(readAccount(role));
    if (role !== 'fresh') throw new Error(`unknown role ${role}`);
    // Its own request context: the `request` fixture itself depends on storageState, hence on this.
    const api = await playwright.request.newContext({ baseURL: BASE_URL });
    const creds = { email: randomEmail('e2e'), password: randomPassword(), name: 'E2E Tester' };
    const { token, user } = await registerViaApi(api, creds);
    await api.dispose();
    await use({ ...creds, token, user });
  },

  storageState: async ({ role, account }, use) => {
    if (role === 'user' || role === 'admin') return use(authFile(role));
    await use(account ? storageStateFor(account.token) : undefined);
  },

  browserProblems: async ({}, use, testInfo) => {
    const problems = [];
    await use(problems);
    if (problems.length && testInfo.status === testInfo.expectedStatus) {
      throw new Error(`${problems.length} browser problem(s):\n  - ${problems.join('\n  - ')}`);
    }
    if (problems.length) await testInfo.attach('browser-problems', { body: problems.join('\n'), contentType: 'text/plain' });
  },

  context: async ({ context, browserProblems }, use) => {
    context.on('page', (page) => watchPage(page, browserProblems));
    await use(context);
  },

  /**
   * Makes another watched context (closed after the test): `{ token, lang, size, ...options }`
   * signs it in by storageState, in 'en'|'zh', at SIZES.desktop|phone, with reduced motion.
   */
  newContext: async ({ browser, browserProblems }, use) => {
    const made = [];
    await use(async ({ token = null, lang = 'en', size = 'desktop', watch = true, ...options } = {}) => {
      const ctx = await browser.newContext({
        baseURL: BASE_URL,
        viewport: SIZES[size],
        locale: lang === 'zh' ? 'zh-CN' : 'en-US',
        reducedMotion: 'reduce',
        storageState: storageStateFor(token, lang),
        ...options,
      });
      if (watch) ctx.on('page', (page) => watchPage(page, browserProblems));
      made.push(ctx);
      return ctx;
    });
    for (const ctx of made) await ctx.close().catch(() => undefined);
  },
});

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** A valid PNG of one solid colour (RGB, 8 bit), built in memory: an upload with known size and colour. */
export function solidPng(width, height, [r, g, b]) {
  const chunk = (type, data) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([len, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8-bit, truecolour, deflate, no filter, no interlace
  const row = Buffer.alloc(1 + width * 3);
  for (let x = 0; x < width; x++) row.set([r, g, b], 1 + x * 3);
  const raw = Buffer.concat(Array.from({ length: height }, () => row));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}
