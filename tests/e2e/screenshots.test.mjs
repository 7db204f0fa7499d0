// Phone-viewport (390×844) screenshots of the board and a record page for rep1, manager and marketing,
// plus desktop ones, saved under tests/e2e/screenshots/ (git-ignored) for people to look at. Also checks
// what a phone needs: no sideways scrolling of the page and touch targets of at least 44px.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launch, newContext, signIn, waitUpToDate, rest, items, shot, watchErrors, PHONE, DESKTOP } from './helpers.mjs';

let server, browser;
before(async () => {
  server = await startServer();
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

for (const user of ['rep1', 'manager', 'marketing']) {
  test(`${user} on a phone: board and a record page`, async () => {
    const deal = items((await rest(server.url, user, '/api/v1/opportunities')).body).find((o) => o.status === 'active');
    const context = await newContext(browser, { viewport: PHONE });
    const page = await context.newPage();
    const errors = watchErrors(page);
    await signIn(page, server.url, user);
    await waitUpToDate(page);
    await page.getByRole('link', { name: 'Pipeline' }).click();
    await page.getByRole('region', { name: 'Initial contact', exact: true }).waitFor();
    await page.waitForTimeout(300);
    await shot(page, `${user}-phone-board.png`);

    // Nothing wider than the screen but the board's own horizontal scroller.
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `page scrolls sideways by ${overflow}px`);
    // Touch targets: every visible button, select, input and tab is at least 44px tall.
    const small = await page.evaluate(() =>
      [...document.querySelectorAll('button, select, input, .nav-item')]
        .filter((e) => e.offsetParent !== null)
        .map((e) => [e.getAttribute('aria-label') || e.textContent.trim(), e.getBoundingClientRect().height])
        .filter(([, h]) => h < 44));
    assert.deepEqual(small, []);

    await page.goto(`${server.url}/r/${deal.id}`);
    await page.getByRole('heading', { level: 1, name: deal.name }).waitFor();
    await page.waitForTimeout(300);
    await shot(page, `${user}-phone-record.png`);
    await page.locator('main').screenshot({ path: (await import('node:path')).join((await import('./helpers.mjs')).SCREENSHOTS, `${user}-phone-record-full.png`) });
    assert.deepEqual(errors, []);
    await context.close();
  });
}

test('desktop: board, customer 360, list, dashboard (rep1)', async () => {
  const cust = items((await rest(server.url, 'rep1', '/api/v1/customers')).body)[0];
  const context = await newContext(browser, { viewport: DESKTOP });
  const page = await context.newPage();
  const errors = watchErrors(page);
  await signIn(page, server.url, 'rep1');
  await waitUpToDate(page);
  for (const [path, name] of [['/board', 'board'], [`/r/${cust.id}`, 'customer'], ['/opportunities', 'list'], ['/dashboard', 'dashboard'], ['/', 'today']]) {
    await page.goto(server.url + path);
    await page.getByRole('heading', { level: 1 }).first().waitFor();
    await page.waitForTimeout(400);
    await shot(page, `rep1-desktop-${name}.png`);
  }
  assert.deepEqual(errors, []);
  await context.close();
});
