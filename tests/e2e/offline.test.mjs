// Offline: rep1 loses the network, edits three records (found with the global search, which works
// offline), closes the tab and opens the app again (still offline: the app and the edits are there),
// then reconnects: the manager, online all along, sees the edits without reloading.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launch, newContext, signIn, waitUpToDate, syncBadge, eventually, rest, items, watchErrors } from './helpers.mjs';

let server, browser;
before(async () => {
  server = await startServer();
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

const MARK = 'edited-offline';

const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

async function openBySearch(page, name, kindLabel) {
  await page.keyboard.press('Control+k');
  await page.getByRole('combobox', { name: 'Search everything' }).fill(name);
  await page.getByRole('option', { name: new RegExp(`^${escape(name)}\\s*${kindLabel}$`) }).click();
  await page.getByRole('heading', { level: 1, name, exact: true }).waitFor();
}

async function searchCount(page, text) {
  await page.keyboard.press('Control+k');
  await page.getByRole('combobox', { name: 'Search everything' }).fill(text);
  const n = await page.getByRole('listbox', { name: 'Search' }).getByRole('option').count();
  await page.keyboard.press('Escape');
  return n;
}

test('edits made offline survive a restart and reach others on reconnect', async () => {
  const opps = items((await rest(server.url, 'rep1', '/api/v1/opportunities')).body).filter((o) => o.owner === 'rep1');
  const custs = items((await rest(server.url, 'rep1', '/api/v1/customers')).body).filter((c) => c.owner === 'rep1');
  const records = [
    ...opps.slice(0, 2).map((r) => ({ ...r, path: 'opportunities', label: 'Opportunity' })),
    ...custs.slice(0, 1).map((r) => ({ ...r, path: 'customers', label: 'Customer' })),
  ];
  assert.equal(records.length, 3, 'rep1 has two deals and a customer in the demo data');

  const rep = await newContext(browser);
  const boss = await newContext(browser);
  const page = await rep.newPage();
  const other = await boss.newPage();
  const errors = [...watchErrors(page), ...watchErrors(other)];
  await signIn(page, server.url, 'rep1');
  await signIn(other, server.url, 'manager');
  await page.evaluate(() => navigator.serviceWorker.ready.then(() => true));
  await page.reload(); // controlled by the service worker from here on
  await waitUpToDate(page);
  await waitUpToDate(other);
  assert.equal(await searchCount(other, MARK), 0);

  await rep.setOffline(true);
  await syncBadge(page).filter({ hasText: 'Offline' }).waitFor({ timeout: 15_000 });
  for (const r of records) {
    await openBySearch(page, r.name, r.label);
    const field = page.getByRole('textbox', { name: 'Name', exact: true });
    await field.fill(`${r.name} ${MARK}`);
    await field.press('Enter');
    await page.getByRole('heading', { level: 1, name: `${r.name} ${MARK}`, exact: true }).waitFor();
  }
  assert.equal(await searchCount(page, MARK), 3);
  for (const r of records) {
    assert.equal((await rest(server.url, 'rep1', `/api/v1/${r.path}/${r.id}`)).body.name, r.name, 'nothing left the device');
  }

  // Close the tab; open the app again, still offline.
  await page.close();
  const again = await rep.newPage();
  errors.push(...watchErrors(again));
  await again.goto(server.url + '/');
  await again.getByRole('navigation', { name: 'Main navigation' }).waitFor({ timeout: 20_000 });
  await syncBadge(again).filter({ hasText: 'Offline' }).waitFor();
  await eventually(async () => (await searchCount(again, MARK)) === 3, { what: 'the offline edits after a restart' });

  // Back online: the edits sync; the manager's open app shows them without a reload.
  await rep.setOffline(false);
  await waitUpToDate(again, 30_000);
  await eventually(async () => (await searchCount(other, MARK)) === 3, { what: 'the manager to see the edits', timeout: 20_000 });
  for (const r of records) {
    await eventually(async () => (await rest(server.url, 'manager', `/api/v1/${r.path}/${r.id}`)).body.name === `${r.name} ${MARK}`, {
      what: `${r.name} on the relay`,
    });
  }
  assert.deepEqual(errors, []);
  await rep.close();
  await boss.close();
});
