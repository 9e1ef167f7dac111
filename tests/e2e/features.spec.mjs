// Issue 12, a new user signed in by storageState: 2 variations of an image, the prompt enhancer (and
// undo), a video remixed and extended (the extension's duration is the sum), share a video and open
// the public page logged out (it plays and seeks), revoke it (404), create an API token and generate
// with it over plain HTTP, change the password (the old session token gets 401).
import { DESKTOP, apiCall, expect, screenshot, test, waitCompleted } from './fixtures.mjs';

const card = (page, id) => page.locator(`[data-testid="task-card"][data-task-id="${id}"]`);

/** Clicks "Generate" and answers the tasks the POST created (one, or the variations). */
async function generate(page, kind) {
  const [response] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === `/api/ai/${kind}`),
    page.getByTestId('submit-button').click(),
  ]);
  expect(response.status(), `POST /api/ai/${kind} answers 202`).toBe(202);
  const body = await response.json();
  return body.items ?? [body];
}

test('variations, enhance, remix, extend, share, API token, password change', async ({ page, account, newContext }) => {
  const { token, password } = account;

  await test.step('image: enhance (undo, enhance again), then 2 variations: one task each, one group', async () => {
    await page.goto('/image');
    const prompt = page.getByTestId('prompt-input');
    await prompt.fill('a lighthouse on a cliff');
    await page.getByTestId('enhance-prompt').click();
    await expect(page.getByTestId('undo-enhance')).toBeVisible();
    const enhanced = await prompt.inputValue();
    expect(enhanced.startsWith('a lighthouse on a cliff') && enhanced.length > 40, `enhanced: ${enhanced}`).toBe(true);
    await page.getByTestId('undo-enhance').click();
    await expect(prompt).toHaveValue('a lighthouse on a cliff');
    await page.getByTestId('enhance-prompt').click();
    await expect(page.getByTestId('undo-enhance')).toBeVisible();
    await page.getByTestId('count-select').locator('[data-value="2"]').click();
    const images = await generate(page, 'image');
    expect(images, 'two variations').toHaveLength(2);
    expect(images[0].params.group_id).toBe(images[1].params.group_id);
    for (const t of images) await waitCompleted(page, token, t.id);
    for (const t of images) await expect(card(page, t.id).getByTestId('variation-chip')).toBeVisible();
    const me = await apiCall(page, 'GET', '/api/auth/me', { token });
    expect(me.body.quota.image.used, 'one charge per variation').toBe(2);
    expect(me.body.quota.chat.used, 'one chat unit per enhancement').toBe(2);
    await screenshot(page, 'features-01-variations');
  });

  const video = await test.step('video: generate, extend (the durations add up), remix (same seed)', async () => {
    await page.goto('/video');
    await page.getByTestId('prompt-input').fill('a neon city at night, rain');
    const [made] = await generate(page, 'video');
    const source = await waitCompleted(page, token, made.id);
    await card(page, made.id).getByTestId('task-extend').click();
    await expect(page.getByTestId('video-source')).toHaveAttribute('data-mode', 'extend');
    await page.getByTestId('prompt-input').fill('the camera rises above the rooftops');
    const [extension] = await generate(page, 'video');
    expect(extension.params.extend_of ?? extension.params.source_task_id).toBe(source.id);
    const extended = await waitCompleted(page, token, extension.id);
    const sum = source.result.duration_s + extension.params.duration_s;
    expect(Math.abs(extended.result.duration_s - sum), `extended ${extended.result.duration_s} s, want ${sum} s`).toBeLessThan(0.2);

    await card(page, made.id).getByTestId('task-remix').click();
    await expect(page.getByTestId('video-source')).toBeVisible();
    // A remix starts from the source prompt, once the source task has loaded.
    await expect(page.getByTestId('prompt-input')).toHaveValue(source.prompt);
    await page.getByTestId('prompt-input').fill('a neon city at night, in snow');
    const [remix] = await generate(page, 'video');
    expect(remix.params.mode).toBe('remix');
    expect(remix.params.seed, 'a remix keeps the seed').toBe(source.params.seed);
    await waitCompleted(page, token, remix.id);
    await screenshot(page, 'features-02-remix-extend');
    return made;
  });

  await test.step('share; the public page logged out plays and seeks; revoke: 404', async () => {
    await card(page, video.id).getByTestId('task-share').click();
    await page.getByTestId('share-create').click();
    await expect(page.getByTestId('share-url')).toHaveValue(/\/s\/[A-Za-z0-9_-]{32}$/);
    const shareUrl = await page.getByTestId('share-url').inputValue();
    await screenshot(page, 'features-03-share-dialog');

    // A guest's browser (not signed in; its console is not held against the app's pages).
    const guest = await newContext({ viewport: DESKTOP, reducedMotion: 'no-preference', watch: false });
    const pub = await guest.newPage();
    const html = await (await pub.request.get(shareUrl)).text();
    expect(html.includes('property="og:video"') && html.includes('property="og:image"'), 'Open Graph tags in the HTML').toBe(true);
    await pub.goto(shareUrl);
    const shared = pub.getByTestId('shared-video');
    await expect(shared).toBeVisible();
    await shared.evaluate(async (v) => {
      v.muted = true;
      await v.play();
    });
    await shared.evaluate((v) => new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no seeked event within 10 s')), 10_000);
      v.addEventListener('seeked', () => { clearTimeout(timer); resolve(); }, { once: true });
      v.currentTime = 2.5;
    }));
    await expect.poll(() => shared.evaluate((v) => v.readyState), { message: 'the frame at 2.5 s is decoded' }).toBeGreaterThanOrEqual(2);
    const played = await shared.evaluate((v) => ({ time: v.currentTime, duration: v.duration, src: v.currentSrc }));
    expect(played.duration > 3 && played.time >= 2, `playback: ${JSON.stringify(played)}`).toBe(true);
    expect((await pub.request.get(played.src, { headers: { Range: 'bytes=0-9' } })).status()).toBe(206);
    await screenshot(pub, 'features-04-public-page');

    await page.getByTestId('share-revoke').click();
    await expect(page.getByTestId('share-create')).toBeVisible();
    expect((await pub.request.get(played.src)).status(), 'the media link dies with the share').toBe(404);
    expect((await pub.request.get(new URL(`/api/public/shares/${shareUrl.split('/s/')[1]}`, shareUrl).toString())).status()).toBe(404);
    await pub.goto(shareUrl);
    await expect(pub.getByTestId('share-missing')).toBeVisible();
    await page.keyboard.press('Escape');
  });

  const apiToken = await test.step('an API token generates over plain HTTP; it cannot reach account routes', async () => {
    await page.goto('/account');
    await page.getByTestId('token-name').fill('e2e script');
    await page.getByTestId('create-token').click();
    await expect(page.getByTestId('new-token')).toHaveText(/^\s*sora_/);
    const made = (await page.getByTestId('new-token').textContent()).trim();
    await expect(page.getByTestId('token-row').first()).toBeVisible();
    const viaToken = await apiCall(page, 'POST', '/api/ai/image', { token: made, data: { prompt: 'made by a script' } });
    expect(viaToken.status, JSON.stringify(viaToken.body)).toBe(202);
    expect((await apiCall(page, 'GET', '/api/auth/me', { token: made })).status).toBe(403);
    await waitCompleted(page, token, viaToken.body.id);
    await screenshot(page, 'features-05-account');
    return made;
  });

  await test.step('change the password: the old session token gets 401; the new password signs in', async () => {
    await page.getByTestId('current-password').fill(password);
    await page.getByTestId('new-password').fill(`${password}-new`);
    await page.getByTestId('change-password').click();
    await page.waitForURL((u) => u.pathname.startsWith('/login'));
    expect((await apiCall(page, 'GET', '/api/auth/me', { token })).status).toBe(401);
    const again = await apiCall(page, 'POST', '/api/auth/login', { data: { email: account.email, password: `${password}-new` } });
    expect(again.status).toBe(200);
    expect((await apiCall(page, 'GET', '/api/ai/tasks', { token: apiToken })).status, 'API tokens survive a password change').toBe(200);
  });
});
