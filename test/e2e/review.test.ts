import { gzipSync } from 'node:zlib';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/process.js';
import { tempDir } from '../helpers/tmp.js';
import { accessibilityViolations } from './a11y.js';
import { launchChromium, screenshot, watchedPage } from './browser.js';
import { ensureWebBuilt, type RunningDaemon, startDaemon } from './daemon.js';
import { mp4DurationMs } from './mp4.js';
import { type SeedResult, seedDataDir } from './seed.js';

const MAX_PAGE_JS_GZIP_BYTES = 300 * 1024;

/** What the player shows, in case time: chunk start + the <video>'s own currentTime. */
async function playerState(page: Page) {
  return page.locator('[data-testid=video]').evaluate((el) => {
    const v = el as HTMLVideoElement;
    return {
      currentTimeS: v.currentTime,
      chunkStartMs: Number(v.dataset.chunkStartMs ?? Number.NaN),
      paused: v.paused,
      readyState: v.readyState,
    };
  });
}

async function login(page: Page, baseUrl: string, user: { username: string; password: string }) {
  await page.goto(`${baseUrl}/review`);
  await page.getByLabel('User name').fill(user.username);
  await page.getByLabel('Password').fill(user.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByTestId('user').waitFor();
}

describe('review page in Chromium', () => {
  let daemon: RunningDaemon;
  let seed: SeedResult;
  let browser: Browser;

  beforeAll(async () => {
    const dataDir = tempDir('orsight-review-');
    const [seeded] = await Promise.all([seedDataDir(dataDir), ensureWebBuilt()]);
    seed = seeded;
    [daemon, browser] = await Promise.all([startDaemon(dataDir), launchChromium()]);
  });
  afterAll(async () => {
    await browser?.close();
    await daemon?.stop();
  });

  it('log in, search a phase, open the case, seek by phase, bookmark, correct; all persists', async () => {
    const context = await browser.newContext({ viewport: { width: 1920, height: 1080 } });
    const { page, errors } = await watchedPage(context);
    const c = seed.case;
    await page.goto(`${daemon.baseUrl}/review`);
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    expect(await accessibilityViolations(page), 'login page').toEqual([]);
    await login(page, daemon.baseUrl, seed.clinician);
    await page.getByTestId('case-table').waitFor();
    expect(await accessibilityViolations(page), 'case list').toEqual([]);

    // Filters: by surgeon and procedure (the seeded case and its three predecessors).
    const table = page.getByTestId('case-table');
    await expect.poll(() => table.locator('tbody tr').count()).toBe(4);
    await page.getByLabel('Surgeon').fill('s-99');
    await page.getByRole('button', { name: 'Find' }).click();
    await expect.poll(() => table.locator('tbody tr').count()).toBe(0);
    await page.getByLabel('Surgeon').fill('s-17');
    await page.getByLabel('Procedure').fill('lap_chole');
    await page.getByRole('button', { name: 'Find' }).click();
    await expect.poll(() => table.locator('tbody tr').count()).toBe(4);
    expect(new URL(page.url()).searchParams.get('surgeon')).toBe('s-17');
    // By date: nothing started from tomorrow on.
    const tomorrow = new Date(Date.now() + 86_400_000);
    const ymd = `${tomorrow.getFullYear()}-${String(tomorrow.getMonth() + 1).padStart(2, '0')}-${String(tomorrow.getDate()).padStart(2, '0')}`;
    await page.getByLabel('From').fill(ymd);
    await page.getByRole('button', { name: 'Find' }).click();
    await expect.poll(() => table.locator('tbody tr').count()).toBe(0);
    await page.getByRole('button', { name: 'Clear' }).click();
    await expect.poll(() => table.locator('tbody tr').count()).toBe(4);

    // Search for a phase name; the result leads to the case.
    await page.getByTestId('search').fill('calot');
    await page.getByRole('button', { name: 'Find' }).click();
    const results = page.getByTestId('search-results');
    await results.waitFor();
    await results.getByTestId('case-link').first().click();
    await page.getByTestId('case-page').waitFor();
    expect(await page.getByTestId('case-page').getAttribute('data-case-id')).toBe(c.caseId);
    const phaseButtons = page.getByTestId('phase-button');
    await expect.poll(() => phaseButtons.count()).toBe(c.segments.length);

    // Click the second phase: the video seeks to its start (12 s into the first chunk) and plays.
    const second = c.segments[1]!;
    await page.locator(`[data-testid=phase-button][data-segment-id="${second.id}"]`).click();
    const expectedS = (second.startedAtMs - c.startedAtMs) / 1000;
    const atSecond = await waitFor(
      async () => {
        const s = await playerState(page);
        return s.chunkStartMs === c.chunks[0]!.startedAtMs &&
          Math.abs(s.currentTimeS - expectedS) <= 1 &&
          !s.paused
          ? s
          : undefined;
      },
      15_000,
      `video at ${expectedS} s and playing`,
    );
    expect(Math.abs(atSecond.currentTimeS - expectedS)).toBeLessThanOrEqual(1);
    // It really plays: time moves on.
    await waitFor(
      async () => (await playerState(page)).currentTimeS > atSecond.currentTimeS + 0.3,
      10_000,
      'video time advancing',
    );

    // The third phase starts in the second chunk: the player switches chunk and seeks inside it.
    const third = c.segments[2]!;
    await page.locator(`[data-testid=phase-button][data-segment-id="${third.id}"]`).click();
    await waitFor(
      async () => {
        const s = await playerState(page);
        const caseMs = s.chunkStartMs + s.currentTimeS * 1000;
        return (
          s.chunkStartMs === c.chunks[1]!.startedAtMs &&
          Math.abs(caseMs - third.startedAtMs) <= 1000 &&
          !s.paused
        );
      },
      15_000,
      'video in the second chunk at the third phase start, playing',
    );

    // Events are markers too: the out-of-body one seeks to its moment (0:33).
    await page.getByRole('button', { name: /out of body in at 0:33/ }).click();
    await waitFor(
      async () => {
        const s = await playerState(page);
        return Math.abs(s.chunkStartMs + s.currentTimeS * 1000 - (c.startedAtMs + 33_000)) <= 1000;
      },
      10_000,
      'the event marker to seek to 0:33',
    );

    // Durations against the three earlier cases (preparation 10–14 s, Calot 25–35 s): this
    // case's preparation (12 s) is usual, its Calot phase (15 s) shorter than usual.
    const stats = page.getByTestId('stats-table');
    // One row per phase of the procedure (the loaded model's phases, or at least this case's).
    await expect.poll(() => stats.locator('tbody tr').count()).toBeGreaterThanOrEqual(3);
    expect(await stats.getByRole('row', { name: /Preparation/ }).textContent()).toContain('● usual');
    expect(await stats.getByRole('row', { name: /Calot/ }).textContent()).toContain('shorter than usual');
    // The same surgeon did the earlier cases: their own median is shown too (Calot: 30 s of 3).
    expect(await stats.getByRole('row', { name: /Calot/ }).textContent()).toContain('0:30 (3)');

    // Switch to the room camera: the same moment, from the other source's recording.
    await page.getByTestId('source-room').click();
    await waitFor(
      async () => {
        const s = await playerState(page);
        const caseMs = s.chunkStartMs + s.currentTimeS * 1000;
        return s.chunkStartMs === c.startedAtMs && caseMs >= third.startedAtMs - 1000 && s.readyState >= 1;
      },
      15_000,
      'the room recording at the same case time',
    );
    expect(await page.getByTestId('source-room').getAttribute('aria-pressed')).toBe('true');
    expect(await page.getByTestId('video').evaluate((v) => (v as HTMLVideoElement).currentSrc)).toContain(
      '/media/room/',
    );
    await page.getByTestId('source-endoscope').click();
    await expect
      .poll(() => page.getByTestId('video').evaluate((v) => (v as HTMLVideoElement).currentSrc))
      .toContain('/media/endoscope/');

    // Bookmark at the current time, with a note.
    await page.getByTestId('video').evaluate((v) => (v as HTMLVideoElement).pause());
    await page.getByTestId('bookmark-note').fill('critical view of safety');
    await page.getByTestId('add-bookmark').click();
    await expect
      .poll(() => page.getByTestId('bookmark').allTextContents())
      .toEqual([expect.stringContaining('critical view of safety')]);
    await expect.poll(() => page.getByTestId('bookmark-marker').count()).toBe(1);

    // Correct the second phase's start from 0:12 to 0:15 (model vs corrected stays visible).
    await page.locator(`[data-testid=phase-button][data-segment-id="${second.id}"]`).click();
    await page.getByTestId('boundary-input').fill('0:15');
    await page.getByTestId('move-boundary').click();
    const secondButton = page.locator(`[data-testid=phase-button][data-segment-id="${second.id}"]`);
    await expect.poll(() => secondButton.getAttribute('data-start-ms')).toBe(String(c.startedAtMs + 15_000));
    await expect.poll(() => page.getByTestId('segment-start').textContent()).toBe('0:15');
    expect(await page.getByTestId('effective-phase').textContent()).toContain('corrected');

    // Relabel the third phase (a return to Calot dissection); the model's label stays visible.
    await page.locator(`[data-testid=phase-button][data-segment-id="${third.id}"]`).click();
    await page.getByTestId('relabel-select').selectOption('calot_triangle_dissection');
    await page.getByRole('button', { name: 'Relabel' }).click();
    await expect.poll(() => page.getByTestId('effective-phase').textContent()).toContain('Calot');
    expect(await page.getByTestId('model-phase').textContent()).toMatch(/clipping/i);

    // Reload: the session, the case, the bookmark and the correction are all still there.
    await page.reload();
    await page.getByTestId('case-page').waitFor();
    await expect
      .poll(() => page.getByTestId('bookmark').allTextContents())
      .toEqual([expect.stringContaining('critical view of safety')]);
    await expect.poll(() => secondButton.getAttribute('data-start-ms')).toBe(String(c.startedAtMs + 15_000));
    expect(await secondButton.getAttribute('class')).toContain('corrected');
    expect(
      await page
        .locator(`[data-testid=phase-button][data-segment-id="${third.id}"]`)
        .getAttribute('data-phase'),
    ).toBe('calot_triangle_dissection');
    // The first phase now ends where the second starts: the model's 0:12 was moved, not duplicated.
    await expect.poll(() => phaseButtons.count()).toBe(c.segments.length);

    // Export the third phase as a clip (server side, stream copy) and download it.
    await page.locator(`[data-testid=phase-button][data-segment-id="${third.id}"]`).click();
    await page.getByTestId('export-clip').click();
    const exportLink = page.getByTestId('export-link');
    await exportLink.waitFor({ timeout: 60_000 });
    const clipHref = (await exportLink.getAttribute('href'))!;
    expect(clipHref).toContain(third.id);
    const clip = await page.request.get(new URL(clipHref, daemon.baseUrl).href);
    expect(clip.status()).toBe(200);
    expect(clip.headers()['content-type']).toMatch(/video\/mp4/);
    const clipBytes = await clip.body();
    // The third phase (0:27–0:40) lies in the second chunk: the clip is that chunk, 20 s.
    expect(Math.abs(mp4DurationMs(clipBytes) - 20_000), clipHref).toBeLessThanOrEqual(500);

    // Keyboard only: a phase is a real button (focus + Enter seeks), "?" shows the shortcuts.
    await phaseButtons.first().focus();
    await page.keyboard.press('Enter');
    await waitFor(
      async () => {
        const s = await playerState(page);
        return s.chunkStartMs === c.chunks[0]!.startedAtMs && s.currentTimeS < 1.5;
      },
      10_000,
      'Enter on the first phase to seek to the case start',
    );
    await page.locator('body').press('?');
    await page.getByTestId('shortcut-help').waitFor();
    await page.locator('body').press('?');
    await page.getByTestId('shortcut-help').waitFor({ state: 'detached' });
    // "]" jumps to the next phase start.
    await page.locator('body').press(']');
    await waitFor(
      async () => {
        const s = await playerState(page);
        return s.chunkStartMs + s.currentTimeS * 1000 >= c.startedAtMs + 14_000;
      },
      10_000,
      'the "]" shortcut to seek to a later phase',
    );
    // The corrected phase, selected: model vs corrected side by side (the README's screenshot).
    await secondButton.click();
    await expect.poll(() => page.getByTestId('model-phase').textContent()).toContain('Calot');
    await page.getByTestId('video').evaluate((v) => (v as HTMLVideoElement).pause());
    await screenshot(page, 'review-1080p');
    expect(await accessibilityViolations(page), 'case page').toEqual([]);
    expect(errors).toEqual([]);
    await context.close();
  }, 120_000);

  it('a display token cannot open the review or any media URL', async () => {
    const api = (path: string, headers: Record<string, string> = {}) =>
      fetch(`${daemon.baseUrl}${path}`, { headers });
    const display = { authorization: `Bearer ${seed.displayToken}` };

    // A clinician gets the recordings list and the media (with ranges): the positive control.
    const loginRes = await fetch(`${daemon.baseUrl}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(seed.clinician),
    });
    expect(loginRes.status).toBe(200);
    const cookie = loginRes.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ');
    const recRes = await api(`/api/cases/${seed.case.caseId}/recordings`, { cookie });
    expect(recRes.status).toBe(200);
    const recordings = (
      (await recRes.json()) as { items: Array<{ url: string; sourceName: string }> }
    ).items.filter((r) => r.sourceName === 'endoscope');
    expect(recordings.length).toBe(seed.case.chunks.length);
    const mediaUrl = recordings[0]!.url;
    const ranged = await api(mediaUrl, { cookie, range: 'bytes=0-99' });
    expect(ranged.status).toBe(206);
    expect((await ranged.arrayBuffer()).byteLength).toBe(100);

    // The display token: no case data, no media, whatever the route.
    for (const path of [
      `/api/cases`,
      `/api/cases/${seed.case.caseId}`,
      `/api/cases/${seed.case.caseId}/recordings`,
      mediaUrl,
      `/api/cases/${seed.case.caseId}/media/endoscope/playlist.m3u8`,
      `/api/cases/${seed.case.caseId}/exports/clip.mp4`,
    ]) {
      const res = await api(path, display);
      expect(res.status, path).toBe(403);
      expect(((await res.json()) as { code: string }).code).toBe('FORBIDDEN');
    }

    const exportAsDisplay = await fetch(`${daemon.baseUrl}/api/cases/${seed.case.caseId}/export`, {
      method: 'POST',
      headers: { ...display, 'content-type': 'application/json' },
      body: JSON.stringify({ segmentId: seed.case.segments[0]!.id, source: 'endoscope' }),
    });
    expect(exportAsDisplay.status).toBe(403);

    // A wall-display browser (paired, token in its storage and as its cookie) that opens
    // /review sees no case: the page asks it to sign in, and the media URL is refused.
    const context = await browser.newContext();
    const { page, errors } = await watchedPage(context, [/status of 403/]);
    await page.goto(`${daemon.baseUrl}/display#token=${encodeURIComponent(seed.displayToken)}`);
    const paired = await page.request.post(`${daemon.baseUrl}/api/auth/display`, {
      data: { token: seed.displayToken },
    });
    expect(paired.status()).toBe(200);
    await page.goto(`${daemon.baseUrl}/review?case=${seed.case.caseId}`);
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    expect(await page.getByTestId('case-page').count()).toBe(0);
    // Even if the page asked, the API refuses this cookie for case data.
    const asDisplay = await page.request.get(`${daemon.baseUrl}/api/cases/${seed.case.caseId}`);
    expect(asDisplay.status()).toBe(403);
    const media = await page.goto(`${daemon.baseUrl}${mediaUrl}`);
    expect(media?.status()).toBe(403);
    expect(errors.filter((e) => !e.includes(mediaUrl))).toEqual([]);
    await context.close();
  });

  it('admin: sources, model, users, displays and audit; a display paired here goes live, revoked it is refused', async () => {
    const context = await browser.newContext({ viewport: { width: 1920, height: 1080 } });
    const { page, errors } = await watchedPage(context);
    await page.goto(`${daemon.baseUrl}/admin`);
    await page.getByLabel('User name').fill(seed.admin.username);
    await page.getByLabel('Password').fill(seed.admin.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    const panel = (title: string) => page.getByRole('region', { name: title });
    await expect.poll(() => panel('Users').textContent()).toContain(seed.clinician.username);
    await expect.poll(() => panel('Display tokens').textContent()).toContain('or-1 wall');
    await expect.poll(() => panel('Audit log').textContent()).toContain('login.ok');
    await expect.poll(() => panel('Sources').textContent()).not.toContain('Loading');
    await expect.poll(() => panel('Model').textContent()).not.toContain('Loading');
    expect(await accessibilityViolations(page), 'admin page').toEqual([]);
    await screenshot(page, 'admin-1080p');

    // Add a clinician from the page; the new account can sign in.
    const users = panel('Users');
    await users.getByLabel('User name').fill('dr-new');
    await users.getByLabel('Password').fill('new-user-pass-123');
    await users.getByRole('button', { name: 'Add user' }).click();
    await expect.poll(() => users.textContent()).toContain('dr-new');
    const newLogin = await fetch(`${daemon.baseUrl}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'dr-new', password: 'new-user-pass-123' }),
    });
    expect(newLogin.status).toBe(200);
    // The audit log names people, not ids.
    await page.reload();
    await expect.poll(() => panel('Audit log').textContent()).toContain(seed.admin.username);

    // Pair a new screen from the admin page, open its link: the display goes live.
    await panel('Display tokens').getByLabel('Screen name').fill('or-2 wall');
    await panel('Display tokens').getByRole('button', { name: 'Pair a display' }).click();
    const link = await page.getByTestId('pairing-link').textContent();
    expect(link).toMatch(/\/display#token=osd_/);
    // The wall screen is another browser: it has only its token, not the admin's session.
    const wallContext = await browser.newContext();
    const wall = await watchedPage(wallContext, [/WebSocket connection to .* failed/]);
    await wall.page.goto(link!);
    await waitFor(
      () =>
        wall.page
          .getByTestId('link-state')
          .getAttribute('data-state')
          .then((s) => s === 'live'),
      15_000,
      'the newly paired display live',
    );

    // Revoke it: the screen, reloaded, says it is not paired (and shows no data).
    const row = panel('Display tokens').getByRole('row', { name: /or-2 wall/ });
    await row.getByRole('button', { name: 'Revoke' }).click();
    await expect.poll(() => row.textContent()).toContain('revoked');
    await wall.page.reload();
    await waitFor(
      () =>
        wall.page
          .getByTestId('display')
          .getAttribute('data-status')
          .then((s) => s === 'unauthorized'),
      15_000,
      'the revoked display refused',
    );
    expect(await wall.page.getByTestId('case-time').count()).toBe(0);
    expect(wall.errors).toEqual([]);
    expect(errors).toEqual([]);
    await wallContext.close();
    await context.close();
  });

  it(`ships at most ${MAX_PAGE_JS_GZIP_BYTES / 1024} kB of gzipped JavaScript per page, and logs no errors`, async () => {
    const context: BrowserContext = await browser.newContext();
    const sizes: Record<string, number> = {};
    for (const path of ['/', '/display', '/review', '/admin']) {
      const { page, errors } = await watchedPage(context, [/WebSocket connection/]);
      let bytes = 0;
      page.on('response', (res) => {
        if (res.request().resourceType() !== 'script') return;
        void res.body().then((body) => {
          bytes += gzipSync(body, { level: 9 }).length;
        });
      });
      await page.goto(`${daemon.baseUrl}${path}`, { waitUntil: 'networkidle' });
      await waitFor(() => bytes > 0, 5000, `scripts of ${path}`);
      sizes[path] = bytes;
      expect(bytes, path).toBeLessThanOrEqual(MAX_PAGE_JS_GZIP_BYTES);
      expect(errors, path).toEqual([]);
      await page.close();
    }
    console.log('gzipped JS per page (bytes):', JSON.stringify(sizes));
    await context.close();
  });
});
