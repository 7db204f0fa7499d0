// Record numbers are unique in the company, also for records made offline: rep1 creates a customer with
// the network off; once back online, after-sales (who sees every customer, also those rep1 cannot) finds
// it with a number no other customer or deal has, and never a provisional one.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer, launch, newContext, signIn, waitUpToDate, syncBadge, eventually, rest, items, watchErrors, axeScan, shot,
  PHONE,
} from './helpers.mjs';

let server, browser;
before(async () => {
  server = await startServer();
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

const NUMBER = /^(CUS|OPP)-\d{4}-(\d{4,}|P[0-9A-Z]{6})$/;
const provisional = (n) => /-P[0-9A-Z]{6}$/.test(n);
const numbersSeenBy = async (user) => {
  const all = [];
  for (const kind of ['customers', 'opportunities']) {
    all.push(...items((await rest(server.url, user, `/api/v1/${kind}`)).body).map((r) => ({ id: r.id, name: r.name, number: r.number })));
  }
  return all;
};

test('a customer made offline gets a number nobody else has', async () => {
  const before = await numbersSeenBy('admin');
  const context = await newContext(browser, { viewport: PHONE });
  const page = await context.newPage();
  const errors = watchErrors(page);
  await signIn(page, server.url, 'rep1');
  await waitUpToDate(page);
  // Online, the device reserves a block of numbers from the relay.
  await eventually(async () => {
    const blocks = (await rest(server.url, 'rep1', '/api/v1/numbers')).body;
    return blocks.some((b) => b.prefix === 'CUS');
  }, { what: 'rep1 to hold customer numbers' });

  await context.setOffline(true);
  await syncBadge(page).filter({ hasText: 'Offline' }).waitFor({ timeout: 15_000 });
  await page.getByRole('navigation', { name: 'Main navigation' }).getByRole('link', { name: 'Customers' }).click();
  await page.getByRole('link', { name: 'New customer' }).click();
  const form = page.getByRole('form', { name: 'New customer' });
  const name = `Offline Co ${Date.now()}`;
  await form.getByRole('textbox', { name: 'Name', exact: true }).fill(name);
  await form.getByRole('button', { name: 'Create' }).click();
  await page.getByRole('heading', { level: 1, name }).waitFor();
  const shown = page.getByRole('status').filter({ hasText: /^CUS-/ });
  const offlineNumber = (await shown.textContent()).trim();
  assert.match(offlineNumber, NUMBER);
  assert.ok(!before.some((r) => r.number === offlineNumber), `${offlineNumber} is already taken`);
  await axeScan(page, { what: 'customer made offline' });
  await shot(page, 'numbers-offline-customer-phone');

  await context.setOffline(false);
  await waitUpToDate(page, 30_000);
  // After-sales sees every customer: the new one has a final number, and no number appears twice.
  const created = await eventually(async () => {
    const all = await numbersSeenBy('aftersales');
    const c = all.find((r) => r.name === name);
    return c && !provisional(c.number) && c;
  }, { what: 'after-sales to see the new customer with its number', timeout: 30_000 });
  const all = await numbersSeenBy('admin');
  const counts = new Map();
  for (const r of all) counts.set(r.number, (counts.get(r.number) || 0) + 1);
  assert.deepEqual([...counts].filter(([, n]) => n > 1), [], 'no number is used twice');
  if (!provisional(offlineNumber)) assert.equal(created.number, offlineNumber, 'the number shown offline is kept');
  // rep1's screen shows the final number too.
  await page.getByRole('status').filter({ hasText: created.number }).waitFor();

  // After-sales' screen: the customer page shows that number.
  const other = await newContext(browser);
  const apage = await other.newPage();
  errors.push(...watchErrors(apage));
  await signIn(apage, server.url, 'aftersales');
  await waitUpToDate(apage);
  await apage.goto(`${server.url}/r/${created.id}`);
  await apage.getByRole('heading', { level: 1, name }).waitFor();
  await apage.getByRole('status').filter({ hasText: created.number }).waitFor();
  await shot(apage, 'numbers-aftersales-customer-desktop');
  assert.deepEqual(errors, []);
  await context.close();
  await other.close();
});
