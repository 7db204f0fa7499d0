// A record's History card in the browser (issue 13): rep1 raises the amount of one of their deals; their
// manager opens the deal's History, sees rep1's name and the old → new amount, and undoes it; rep1's open
// page shows the old amount again, live; the history then shows the undo, made by the manager. Axe on the
// opened card, a phone screenshot of it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer, launch, openSignedIn, eventually, rest, login, axeScan, shot, PHONE, DESKTOP,
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

const open = (viewport, user) => openSignedIn(browser, server.url, user, { viewport });

async function patch(user, path, body) {
  const { token } = await login(server.url, user);
  const res = await fetch(server.url + path, {
    method: 'PATCH', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body),
  });
  assert.ok(res.ok, `${path}: ${res.status} ${await res.text()}`);
}

/** `1234567` minor units → `12,345.67`, as en-US shows it (the currency symbol aside). */
const grouped = (minor) => (minor / 100).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const plain = (minor) => `${Math.floor(minor / 100)}.${String(minor % 100).padStart(2, '0')}`;

test('the manager sees rep1 change an amount in the history and undoes it; rep1 sees the old amount live', async () => {
  const { body: deals } = await rest(server.url, 'rep1', '/api/v1/opportunities?limit=5000');
  const deal = deals.find((d) => d.owner === 'rep1' && d.status === 'active' && d.money?.expected_amount?.currency === 'CNY');
  assert.ok(deal, 'rep1 has an active deal with an amount in CNY');
  const before = deal.money.expected_amount.amount_minor;
  const after = before + 1_000_000;
  const { user: rep1User } = await login(server.url, 'rep1');

  // rep1 has the deal open (phone) while they raise its amount.
  const rep1 = await open(PHONE, 'rep1');
  await rep1.page.goto(`${server.url}/r/${deal.id}`);
  await rep1.page.getByRole('heading', { name: deal.name }).waitFor();
  const amount = rep1.page.getByLabel(/^Amount \(/);
  await eventually(async () => (await amount.inputValue()) === plain(before), { what: 'the amount on rep1 page' });
  await patch('rep1', `/api/v1/opportunities/${deal.id}`, { money: { expected_amount: { amount_minor: after, currency: 'CNY' } } });
  await eventually(async () => (await amount.inputValue()) === plain(after), { what: 'the new amount on rep1 page' });

  // The manager opens the deal's history (phone: the card must fit a phone).
  const manager = await open(PHONE, 'manager');
  await manager.page.goto(`${server.url}/r/${deal.id}`);
  await manager.page.getByRole('heading', { name: deal.name }).waitFor();
  const toggle = manager.page.getByRole('button', { name: 'History' });
  assert.equal(await toggle.getAttribute('aria-expanded'), 'false');
  await toggle.click();
  assert.equal(await toggle.getAttribute('aria-expanded'), 'true');
  const entries = manager.page.locator('.history-entry');
  const amountEntry = entries.filter({ hasText: `${grouped(before)} → ` }).filter({ hasText: grouped(after) }).first();
  await amountEntry.waitFor();
  const text = await amountEntry.innerText();
  assert.ok(text.includes(rep1User.name), `rep1's name in the entry: ${text}`);
  assert.match(text, /Amount: .*→/, text);
  // Newest first: rep1's change is the first entry.
  assert.equal(await entries.first().innerText(), text);

  // Filters by field and person keep it.
  await manager.page.getByRole('combobox', { name: 'Field' }).selectOption({ label: 'Amount' });
  await manager.page.getByRole('combobox', { name: 'Person' }).selectOption({ label: rep1User.name });
  await amountEntry.waitFor();
  assert.ok((await entries.count()) >= 1);

  const overflow = await manager.page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `no horizontal overflow on a phone (${overflow}px)`);
  await manager.page.locator('section.history').evaluate((e) => e.scrollIntoView());
  await shot(manager.page, 'history-phone.png');
  await axeScan(manager.page, { what: 'record page with its history open (phone)' });

  // Undo: the relay puts the old amount back; rep1 sees it without reloading.
  await amountEntry.getByRole('button', { name: 'Undo' }).click();
  await manager.page.getByRole('status').filter({ hasText: 'Undone.' }).waitFor();
  await eventually(async () => (await amount.inputValue()) === plain(before), { what: 'the old amount back on rep1 page, live' });
  await eventually(async () => {
    const r = await rest(server.url, 'manager', `/api/v1/opportunities/${deal.id}`);
    return r.body.money?.expected_amount?.amount_minor === before;
  }, { what: 'the old amount on the relay' });

  // The undo is itself in the history, by the manager (the filter shows everyone again).
  await manager.page.getByRole('combobox', { name: 'Person' }).selectOption({ label: 'Everyone' });
  const { user: managerUser } = await login(server.url, 'manager');
  const first = entries.first();
  await eventually(async () => {
    const t = await first.innerText();
    return t.includes(managerUser.name) && t.includes(`${grouped(after)} → `) && t.includes(grouped(before));
  }, { what: 'the undo entry by the manager on top' });

  // Undoing rep1's change again: the amount is no longer what it set, so the relay refuses and says why.
  const rep1Entry = entries.filter({ hasText: rep1User.name }).filter({ hasText: `${grouped(before)} → CN¥${grouped(after)}` }).first();
  await rep1Entry.getByRole('button', { name: 'Undo' }).click();
  const alert = manager.page.locator('section.history').getByRole('alert');
  await alert.waitFor();
  assert.match(await alert.innerText(), /Could not undo: nothing to undo: expected_amount/);
  await manager.page.locator('section.history').evaluate((e) => e.scrollIntoView());
  await shot(manager.page, 'history-undone-phone.png');

  assert.deepEqual(rep1.errors, []);
  assert.deepEqual(manager.errors, []);
  await rep1.context.close();
  await manager.context.close();
});

test('history says it needs a connection when offline', async () => {
  const { body: deals } = await rest(server.url, 'rep1', '/api/v1/opportunities?limit=5000');
  const deal = deals.find((d) => d.owner === 'rep1' && d.status === 'active');
  const rep1 = await open(DESKTOP, 'rep1');
  await rep1.page.goto(`${server.url}/r/${deal.id}`);
  await rep1.page.getByRole('heading', { name: deal.name }).waitFor();
  await rep1.context.setOffline(true);
  await rep1.page.getByRole('button', { name: 'History' }).click();
  await rep1.page.getByText('History needs a connection.').waitFor();
  await rep1.context.setOffline(false);
  await rep1.context.close();
});
