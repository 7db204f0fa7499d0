// The PWA: Chromium finds it installable (manifest, icons, service worker), and a new build's service worker
// replaces the old shell cache cleanly, so an offline start then runs the new build.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { chromiumLaunchOptions, dist } from '../support/server.mjs';
import { startServer, signIn, eventually, watchErrors, PHONE } from './helpers.mjs';

let server, copy, profile;
before(async () => {
  // A copy of the build, so the test can put a "next build" in place while the relay serves it.
  copy = mkdtempSync(join(tmpdir(), 'crm-dist-'));
  cpSync(dist, copy, { recursive: true });
  server = await startServer({ staticDir: copy });
  profile = mkdtempSync(join(tmpdir(), 'crm-profile-'));
});
after(async () => {
  await server?.stop();
  for (const d of [copy, profile]) if (d) rmSync(d, { recursive: true, force: true });
});

const shellCaches = (page) => page.evaluate(async () => (await caches.keys()).filter((k) => k.startsWith('crm-shell-')));

test('installable, and a new build replaces the cached shell cleanly', async () => {
  // A persistent profile: Chromium does not offer to install from an incognito context (Playwright's default).
  const ctx = await chromium.launchPersistentContext(profile, {
    ...chromiumLaunchOptions, viewport: PHONE, locale: 'en-US', serviceWorkers: 'allow',
  });
  const page = ctx.pages()[0] ?? await ctx.newPage();
  const errors = watchErrors(page);
  await signIn(page, server.url, 'rep1');
  await page.evaluate(() => navigator.serviceWorker.ready.then(() => true));
  await eventually(() => page.evaluate(() => !!navigator.serviceWorker.controller), { what: 'the worker to control the page' });

  const cdp = await ctx.newCDPSession(page);
  const manifest = await cdp.send('Page.getAppManifest');
  assert.deepEqual(manifest.errors, [], 'the manifest parses without errors');
  const { installabilityErrors } = await cdp.send('Page.getInstallabilityErrors');
  assert.deepEqual(installabilityErrors, [], 'Chromium finds the app installable');

  const [first] = await eventually(async () => {
    const keys = await shellCaches(page);
    return keys.length === 1 ? keys : null;
  }, { what: 'one shell cache' });
  assert.ok(!first.includes('__BUILD_VERSION__'), `the build stamped the cache name: ${first}`);

  // The next build: a changed stylesheet, and the worker carries a new version (what .ci/lib.sh does).
  const sw = readFileSync(join(copy, 'sw.js'), 'utf8');
  const version = first.slice('crm-shell-'.length);
  assert.ok(sw.includes(`'${version}'`), 'the worker names its build');
  writeFileSync(join(copy, 'sw.js'), sw.replace(`'${version}'`, `'${version}-next'`));
  writeFileSync(join(copy, 'app.css'), readFileSync(join(copy, 'app.css'), 'utf8') + '\n/* next build */\n');
  for (const f of ['sw.js', 'app.css']) {
    for (const ext of ['.br', '.gz']) rmSync(join(copy, f + ext), { force: true });
  }

  await page.evaluate(async () => (await navigator.serviceWorker.getRegistration()).update());
  await eventually(async () => {
    const keys = await shellCaches(page);
    return keys.length === 1 && keys[0] === `crm-shell-${version}-next`;
  }, { what: 'the new build to replace the old cache', timeout: 30_000 });
  const css = await page.evaluate(async () => {
    const cache = await caches.open((await caches.keys()).find((k) => k.startsWith('crm-shell-')));
    return (await cache.match('/app.css')).text();
  });
  assert.ok(css.includes('next build'), 'the new cache holds the new build');

  // Offline, a fresh start runs from the new cache and still has the user's data.
  await ctx.setOffline(true);
  await page.reload();
  await page.getByRole('navigation', { name: 'Main navigation' }).waitFor();
  const served = await page.evaluate(async () => (await fetch('/app.css')).text());
  assert.ok(served.includes('next build'), 'offline, the page gets the new build');
  await page.goto(`${server.url}/customers`);
  await page.locator('.vlist-row').first().waitFor();
  assert.deepEqual(errors, []);
  await ctx.close();
});
