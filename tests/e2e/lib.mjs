// Shared helpers for the browser scenarios: launching the system Chromium through
// playwright-core, collecting console errors and 5xx responses, small assertions.
import assert from 'node:assert/strict';
import { mkdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { deflateSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';

export const repoRoot = process.env.REPO_ROOT || path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
// playwright-core is a devDependency of the frontend; resolve it from there.
const require = createRequire(path.join(repoRoot, 'frontend', 'package.json'));
export const { chromium } = require('playwright-core');

export const BASE_URL = (process.env.BASE_URL || 'http://127.0.0.1:8080').replace(/\/+$/, '');
export const ARTIFACTS = process.env.ARTIFACTS || path.join(repoRoot, 'artifacts', 'e2e');
mkdirSync(ARTIFACTS, { recursive: true });

export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };

const started = Date.now();
export function log(...parts) {
  console.log(`[${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s]`, ...parts);
}

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
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
  });
}

/** A context in English at desktop size, with every console error, page error and 5xx response recorded. */
export async function newWatchedContext(browser) {
  const context = await browser.newContext({ viewport: DESKTOP, locale: 'en-US', baseURL: BASE_URL });
  context.setDefaultTimeout(15_000);
  const problems = [];
  const watch = (page) => {
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
  };
  context.on('page', watch);
  return { context, problems, watch };
}

export async function screenshot(page, name) {
  const file = path.join(ARTIFACTS, `${name}.png`);
  // Let entrance animations settle so the picture shows the screen, not a transition.
  await page.waitForTimeout(350);
  await page.screenshot({ path: file, fullPage: true });
  log(`screenshot ${path.relative(repoRoot, file)}`);
  return file;
}

export function randomEmail(prefix = 'e2e') {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}@example.com`;
}

/** Registers through the UI from the login page; lands on /video. */
export async function registerViaUi(page, { email, password, name }, { shot } = {}) {
  await page.goto('/');
  await page.waitForURL(/\/login(\?|$)/);
  await page.getByTestId('login-form').waitFor();
  if (shot) await screenshot(page, shot.login);
  await page.getByTestId('to-register').click();
  await page.waitForURL(/\/register$/);
  await page.getByTestId('register-form').waitFor();
  if (name) await page.getByTestId('name-input').fill(name);
  await page.getByTestId('email-input').fill(email);
  await page.getByTestId('password-input').fill(password);
  if (shot) await screenshot(page, shot.register);
  await page.getByTestId('submit-button').click();
  await page.waitForURL(/\/video$/);
  await page.getByTestId('nav-video').waitFor();
}

/** Signs in through the login form (the page must be on /login). */
export async function loginViaUi(page, { email, password }) {
  await page.getByTestId('login-form').waitFor();
  await page.getByTestId('email-input').fill(email);
  await page.getByTestId('password-input').fill(password);
  await page.getByTestId('submit-button').click();
  await page.waitForURL((u) => !u.pathname.startsWith('/login'));
  await page.getByTestId('nav-video').waitFor();
  // The session's user (role, credits) is known once the badge shows credits.
  await page.waitForFunction(() => document.querySelector('[data-testid="credits-badge"]')?.getAttribute('data-credits') !== '');
}

/** Runs a scenario: launches the browser, fails (exit 1) on an error or on any recorded browser problem. */
export async function runScenario(name, body) {
  rmSync(path.join(ARTIFACTS, `FAILED-${name}.png`), { force: true });
  const browser = await launch();
  const { context, problems, watch } = await newWatchedContext(browser);
  let failure = null;
  try {
    await body({ browser, context, watch, problems });
  } catch (err) {
    failure = err;
    for (const page of context.pages()) {
      try {
        await page.screenshot({ path: path.join(ARTIFACTS, `FAILED-${name}.png`), fullPage: true });
        log(`failure screenshot at ${page.url()}: artifacts/e2e/FAILED-${name}.png`);
        break;
      } catch {
        /* the page may already be gone */
      }
    }
  } finally {
    await context.close().catch(() => undefined);
    await browser.close().catch(() => undefined);
  }
  if (problems.length) {
    console.error(`\n${problems.length} browser problem(s) during "${name}":\n  - ${problems.join('\n  - ')}`);
  }
  if (failure) {
    console.error(`\nscenario "${name}" failed:`, failure.stack || failure);
    process.exit(1);
  }
  if (problems.length) process.exit(1);
  log(`scenario "${name}" passed`);
}

export { assert };

// ---------------------------------------------------------------------------------------------
// Helpers for the chat, billing and admin-panel scenarios (additive).

/** The session token the app keeps in localStorage (null when signed out). */
export async function tokenOf(page) {
  return page.evaluate(() => localStorage.getItem('sora.token'));
}

/**
 * Calls the API outside the page (page.request: no console noise for expected 4xx) with a
 * bearer token; answers {status, body} with the JSON body parsed when there is one.
 */
export async function apiCall(page, method, p, { token, data, headers } = {}) {
  const res = await page.request.fetch(p, {
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
export async function registerViaApi(page, { email, password, name }) {
  const r = await apiCall(page, 'POST', '/api/auth/register', { data: { email, password, ...(name ? { name } : {}) } });
  assert.equal(r.status, 201, `POST /api/auth/register answers 201: ${JSON.stringify(r.body)}`);
  return r.body;
}

/** Signs in through the API; answers {token, user} (fails unless 200). */
export async function loginViaApi(page, { email, password }) {
  const r = await apiCall(page, 'POST', '/api/auth/login', { data: { email, password } });
  assert.equal(r.status, 200, `POST /api/auth/login answers 200: ${JSON.stringify(r.body)}`);
  return r.body;
}

/** Waits until the header's credits badge shows `n` (data-credits) and answers it. */
export async function waitForCredits(page, n, { timeout = 10_000 } = {}) {
  await page.waitForFunction(
    (want) => document.querySelector('[data-testid="credits-badge"]')?.getAttribute('data-credits') === String(want),
    n,
    { timeout },
  ).catch(async (err) => {
    const now = await page.getByTestId('credits-badge').getAttribute('data-credits').catch(() => '?');
    throw new Error(`credits badge did not reach ${n} within ${timeout} ms (shows ${now}): ${err.message}`);
  });
  return n;
}

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
