// A deal always shows its customer's name: on the board after a reload (online and offline, the cards
// keep their customer line), on rep1's own deals of customers someone else maintains, and for rep2
// right after the manager hands them a deal of rep1's customer. Never the bare document id.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer, launch, newContext, signIn, waitUpToDate, syncBadge, eventually, rest, items, watchErrors, axeScan, shot,
  PHONE,
} from './helpers.mjs';

const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

let server, browser;
before(async () => {
  server = await startServer();
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

/** Deal id → its customer's name, as `user` may read them over REST. */
async function customerNames(user) {
  const customers = new Map(items((await rest(server.url, user, '/api/v1/customers')).body).map((c) => [c.id, c.name]));
  const out = new Map();
  for (const o of items((await rest(server.url, user, '/api/v1/opportunities')).body)) {
    if (o.customer) out.set(o.id, customers.get(o.customer));
  }
  return out;
}

/** Cards on the board, and how many of them show their deal's customer name on a line of its own. */
async function boardCards(page, names) {
  const cards = await page.getByRole('main').getByRole('listitem').filter({ has: page.getByRole('link') }).all();
  let withCustomer = 0;
  let expected = 0;
  for (const card of cards) {
    const href = await card.getByRole('link').first().getAttribute('href');
    const name = names.get(href.split('/').pop());
    if (!name) continue;
    expected += 1;
    if ((await card.getByText(name, { exact: true }).count()) > 0) withCustomer += 1;
  }
  return { cards: cards.length, expected, withCustomer };
}

async function everyCardNamesItsCustomer(page, names, what) {
  return eventually(async () => {
    const b = await boardCards(page, names);
    return b.expected > 0 && b.withCustomer === b.expected && b;
  }, { what, timeout: 30_000 });
}

test('board cards keep their customer line after a reload, online and offline', async () => {
  const names = await customerNames('rep1');
  assert.ok([...names.values()].every(Boolean), 'rep1 reads the customer of every deal they read');
  const context = await newContext(browser);
  const page = await context.newPage();
  const errors = watchErrors(page);
  await signIn(page, server.url, 'rep1');
  await page.evaluate(() => navigator.serviceWorker.ready.then(() => true));
  await page.getByRole('link', { name: 'Pipeline' }).click();
  await waitUpToDate(page);
  const first = await everyCardNamesItsCustomer(page, names, 'customer lines on the board');

  await page.reload();
  await waitUpToDate(page);
  const online = await everyCardNamesItsCustomer(page, names, 'customer lines after an online reload');
  assert.equal(online.cards, first.cards);

  await context.setOffline(true);
  await page.reload();
  await syncBadge(page).filter({ hasText: 'Offline' }).waitFor({ timeout: 15_000 });
  const offline = await everyCardNamesItsCustomer(page, names, 'customer lines after an offline reload');
  assert.equal(offline.cards, first.cards);
  await axeScan(page, { what: 'board after an offline reload' });
  await shot(page, 'board-reloaded-offline-desktop');
  assert.deepEqual(errors, []);
  await context.close();
});

test("a deal's customer is named for rep1 (customer maintained by someone else) and for rep2 after a reassignment", async () => {
  const admin = items((await rest(server.url, 'admin', '/api/v1/opportunities')).body);
  const owners = new Map(items((await rest(server.url, 'admin', '/api/v1/customers')).body).map((c) => [c.id, c]));
  const theirs = admin.find((o) => o.owner === 'rep1' && o.customer && owners.get(o.customer).owner !== 'rep1');
  assert.ok(theirs, 'rep1 has a deal of a customer maintained by someone else');
  const customer = owners.get(theirs.customer);

  const context = await newContext(browser, { viewport: PHONE });
  const page = await context.newPage();
  const errors = watchErrors(page);
  await signIn(page, server.url, 'rep1');
  await waitUpToDate(page);
  await page.goto(`${server.url}/r/${theirs.id}`);
  await page.getByRole('heading', { level: 1, name: theirs.name, exact: true }).waitFor();
  await page.getByRole('link', { name: customer.name, exact: true }).waitFor();
  assert.equal(await page.getByText(theirs.customer).count(), 0, 'no bare document id');
  await axeScan(page, { what: "rep1's deal of another's customer" });
  await shot(page, 'deal-customer-name-phone');
  // The customer page opens, read only: no money or service groups.
  await page.getByRole('link', { name: customer.name, exact: true }).click();
  await page.getByRole('heading', { level: 1, name: customer.name, exact: true }).waitFor();
  await shot(page, 'customer-read-through-deal-phone');

  // The manager hands a deal of rep1's own customer to rep2; rep2 sees the customer's name at once.
  const rep2Customers = new Set(items((await rest(server.url, 'rep2', '/api/v1/customers')).body).map((c) => c.id));
  const handed = admin.find((o) => o.owner === 'rep1' && o.status === 'active' && o.customer
    && owners.get(o.customer).owner === 'rep1' && !rep2Customers.has(o.customer));
  assert.ok(handed, "a deal of rep1's customer that rep2 does not see yet");
  const handedCustomer = owners.get(handed.customer);
  const rctx = await newContext(browser);
  const rpage = await rctx.newPage();
  errors.push(...watchErrors(rpage));
  await signIn(rpage, server.url, 'rep2');
  await waitUpToDate(rpage);

  const mctx = await newContext(browser);
  const mpage = await mctx.newPage();
  errors.push(...watchErrors(mpage));
  await signIn(mpage, server.url, 'manager');
  await waitUpToDate(mpage, 30_000);
  await mpage.goto(`${server.url}/r/${handed.id}`);
  await mpage.getByRole('heading', { level: 1, name: handed.name, exact: true }).waitFor();
  await mpage.getByRole('combobox', { name: 'Owner' }).selectOption('rep2');
  // Handing a deal over asks first.
  const ask = mpage.getByRole('alertdialog', { name: new RegExp(`Hand “${escape(handed.name)}” to`) });
  await ask.getByRole('button', { name: 'Confirm' }).click();
  await ask.waitFor({ state: 'detached' });

  await eventually(async () => (await rest(server.url, 'rep2', `/api/v1/customers/${handed.customer}`)).status === 200, {
    what: 'rep2 to read the customer by REST',
  });
  await rpage.goto(`${server.url}/r/${handed.id}`);
  await rpage.getByRole('heading', { level: 1, name: handed.name, exact: true }).waitFor({ timeout: 30_000 });
  await rpage.getByRole('link', { name: handedCustomer.name, exact: true }).waitFor({ timeout: 30_000 });
  assert.equal(await rpage.getByText(handed.customer).count(), 0, 'no bare document id');
  const body = (await rest(server.url, 'rep2', `/api/v1/customers/${handed.customer}`)).body;
  assert.equal(body.name, handedCustomer.name);
  assert.equal(body.money, undefined, "rep2 does not read the customer's money");
  await shot(rpage, 'deal-reassigned-customer-name-desktop');
  assert.deepEqual(errors, []);
  await Promise.all([context.close(), rctx.close(), mctx.close()]);
});
