// Accessibility: every page, as the roles that reach it, on a phone and on a desktop, scanned with axe-core
// (`axeScan` fails on serious and critical violations). Pages: sign-in, today, the board, each list, a record
// page of each kind, customer 360, the dashboard, exports, settings, the search palette open, and "page not
// found".
import { test, before, after } from 'node:test';
import { startServer, launch, newContext, signIn, waitUpToDate, rest, items, watchErrors, axeScan, PHONE, DESKTOP } from './helpers.mjs';
import assert from 'node:assert/strict';

let server, browser;
before(async () => {
  server = await startServer();
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

const LISTS = ['/leads', '/opportunities', '/customers', '/contacts'];
const KINDS = ['leads', 'opportunities', 'customers', 'contacts', 'activities'];

/** The pages `username` reaches: lists and one record of each kind they can see, plus `extra`. */
async function pagesOf(username, extra) {
  const records = [];
  for (const kind of KINDS) {
    const r = await rest(server.url, username, `/api/v1/${kind}`);
    const first = r.status === 200 ? items(r.body)[0] : undefined;
    if (first) records.push({ path: `/r/${first.id}`, name: first.name ?? first.subject, what: `a ${kind} record` });
  }
  return [
    { path: '/', what: 'today' },
    { path: '/board', what: 'the board' },
    ...LISTS.map((path) => ({ path, what: `the list ${path}` })),
    ...records,
    ...extra,
  ];
}

const ROLES = {
  rep1: [{ path: '/dashboard', what: 'the dashboard' }, { path: '/exports', what: 'exports' }],
  manager: [{ path: '/dashboard', what: 'the dashboard' }, { path: '/exports', what: 'exports (deciding)' }],
  aftersales: [],
  admin: [{ path: '/settings/fields', what: 'settings' }, { path: '/exports', what: 'exports' }],
};

for (const [device, viewport] of [['phone', PHONE], ['desktop', DESKTOP]]) {
  test(`sign-in passes axe on a ${device}`, async () => {
    const context = await newContext(browser, { viewport });
    const page = await context.newPage();
    await page.goto(server.url + '/');
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    await axeScan(page, { what: `sign-in (${device})` });
    await context.close();
  });

  for (const [role, extra] of Object.entries(ROLES)) {
    test(`every page ${role} reaches passes axe on a ${device}`, async () => {
      const pages = await pagesOf(role, extra);
      const context = await newContext(browser, { viewport });
      const page = await context.newPage();
      const errors = watchErrors(page);
      await signIn(page, server.url, role);
      await waitUpToDate(page, 30_000);
      for (const p of [...pages, { path: '/no/such/page', what: 'page not found' }]) {
        await page.goto(server.url + p.path);
        const heading = p.name
          ? page.getByRole('heading', { level: 1, name: p.name, exact: true })
          : page.getByRole('heading', { level: 1 }).first();
        await heading.waitFor();
        await axeScan(page, { what: `${p.what} as ${role} (${device})` });
      }
      // The search palette, open with results.
      await page.keyboard.press('Control+k');
      await page.getByRole('combobox', { name: 'Search everything' }).fill('a');
      await page.getByRole('listbox', { name: 'Search' }).waitFor();
      await axeScan(page, { what: `the search palette as ${role} (${device})` });
      assert.deepEqual(errors, []);
      await context.close();
    });
  }
}
