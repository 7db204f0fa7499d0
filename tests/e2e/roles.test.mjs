// Roles in the UI: marketing never sees an amount (not on screen, not in anything the page received);
// rep1 cannot see rep3's customers (not in lists, search, or by URL).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launch, newContext, signIn, waitUpToDate, rest, items, companionId, watchErrors } from './helpers.mjs';

let server, browser;
before(async () => {
  server = await startServer();
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

// Any rendering of an amount: a currency sign or code, or a grouped decimal number like 213,000.00.
const MONEY = /[¥￥]|CN¥|\bCNY\b|\d{1,3}(,\d{3})+(\.\d{2})?|\d+\.\d{2}\b/;

test('marketing never sees amounts, on screen or on the wire', async () => {
  const opps = items((await rest(server.url, 'admin', '/api/v1/opportunities')).body);
  const withMoney = opps.filter((o) => o.money?.expected_amount);
  assert.ok(withMoney.length > 0, 'the demo deals have amounts (as admin sees them)');
  const moneyDocs = opps.map((o) => companionId(o.id, 'money'));
  const customerMoneyDocs = items((await rest(server.url, 'admin', '/api/v1/customers')).body).map((c) => companionId(c.id, 'money'));

  const context = await newContext(browser);
  const page = await context.newPage();
  const errors = watchErrors(page);
  const frames = [];
  page.on('websocket', (ws) => ws.on('framereceived', (f) => frames.push(Buffer.isBuffer(f.payload) ? f.payload : Buffer.from(f.payload))));
  const bodies = [];
  page.on('response', async (r) => {
    if (r.url().includes('/api/')) bodies.push(await r.text().catch(() => ''));
  });

  await signIn(page, server.url, 'marketing');
  await waitUpToDate(page);
  const visited = [];
  for (const [tab, path] of [['Pipeline', '/board'], ['Opportunities', '/opportunities'], ['Customers', '/customers'], ['Dashboard', '/dashboard']]) {
    await page.goto(server.url + path);
    await page.getByRole('heading', { level: 1 }).first().waitFor();
    await page.waitForTimeout(500);
    const text = await page.locator('main').innerText();
    assert.doesNotMatch(text, MONEY, `no amount on ${tab}`);
    visited.push(tab);
  }
  // An opportunity page: no amount field, no probability, nothing editable in the deal.
  await page.goto(server.url + `/r/${withMoney[0].id}`);
  await page.getByRole('heading', { level: 1, name: withMoney[0].name }).waitFor();
  assert.equal(await page.getByRole('textbox', { name: /Amount/ }).count(), 0);
  assert.equal(await page.getByRole('spinbutton', { name: 'Win probability' }).count(), 0);
  assert.doesNotMatch(await page.locator('main').innerText(), MONEY);
  assert.ok(await page.getByRole('textbox', { name: 'Name', exact: true }).getAttribute('readonly') !== null, 'read only for marketing');

  // What the page received: the sync frames name documents by id; no money companion is among them,
  // while the deals themselves are (so the check looks at the right thing).
  const received = Buffer.concat(frames);
  assert.ok(opps.some((o) => received.includes(Buffer.from(o.id))), 'the deals were synced');
  for (const id of [...moneyDocs, ...customerMoneyDocs]) assert.ok(!received.includes(Buffer.from(id)), `money document ${id} was sent`);
  for (const b of bodies) assert.ok(!/expected_amount|amount_minor/.test(b), 'no amount in REST answers');
  assert.deepEqual(errors, []);
  await context.close();
});

test("rep1 cannot see rep3's customers", async () => {
  // Those linked from a deal, contact or activity rep1 may read are readable (implicit parent read); the rest not.
  const linked = new Set();
  for (const kind of ['opportunities', 'contacts', 'activities']) {
    for (const r of items((await rest(server.url, 'rep1', `/api/v1/${kind}`)).body)) if (r.customer) linked.add(r.customer);
  }
  const theirs = items((await rest(server.url, 'rep3', '/api/v1/customers')).body)
    .filter((c) => c.owner === 'rep3' && !linked.has(c.id));
  assert.ok(theirs.length > 0, 'rep3 has customers');
  const mine = items((await rest(server.url, 'rep1', '/api/v1/customers')).body);
  for (const c of theirs) assert.ok(!mine.some((m) => m.id === c.id));

  const context = await newContext(browser);
  const page = await context.newPage();
  const errors = watchErrors(page);
  await signIn(page, server.url, 'rep1');
  await waitUpToDate(page);
  await page.getByRole('link', { name: 'Customers' }).click();
  const list = page.getByRole('list', { name: 'Customers' });
  await list.getByRole('listitem').first().waitFor();
  for (const c of theirs) {
    await list.getByRole('listitem').first().waitFor();
    const listed = await list.getByRole('link').allInnerTexts();
    assert.ok(listed.length > 0 && !listed.some((t) => t.includes(c.name)), `${c.name} is not listed (${listed.join(' | ')})`);
    await page.keyboard.press('Control+k');
    await page.getByRole('combobox', { name: 'Search everything' }).fill(c.name);
    // (A pool lead may mention the same company; what must not appear is the customer record.)
    await page.getByRole('listbox', { name: 'Search' }).waitFor();
    const found = await page.getByRole('option').allInnerTexts();
    assert.ok(!found.some((t) => t.includes(c.name) && /Customer$/.test(t.trim())), `${c.name} is not found (${found.join(' | ')})`);
    await page.keyboard.press('Escape');
    await page.goto(`${server.url}/r/${c.id}`);
    await page.getByText('This record is not on this device').waitFor();
    await page.goBack();
  }
  assert.deepEqual(errors, []);
  await context.close();
});
