// Relationship rules and the customer list: the admin edits the churn rules, visit intervals and tier rules
// in settings (a bad value first: the message is at the field, nothing is stored); the relay holds the new
// rules and the account manager's visits due follow them live; rep1 may not change them. The customer list
// filters by tier and sorts by last contact as computed here from REST; the customer page shows the tier the
// history suggests (computed here from REST with the rules), and marketing, who sees no amounts, gets none.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer, login, launch, newContext, signIn, waitUpToDate, eventually, rest, items, watchErrors, axeScan, shot,
  navTo, PHONE, DESKTOP,
} from './helpers.mjs';

const DAY = 86_400_000;
let server, browser;
before(async () => {
  server = await startServer();
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

async function open(user, { viewport = DESKTOP, locale = 'en-US' } = {}) {
  const context = await newContext(browser, { viewport, locale });
  const page = await context.newPage();
  const errors = watchErrors(page);
  await signIn(page, server.url, user);
  await waitUpToDate(page, 30_000);
  return { context, page, errors };
}

const rules = async () => (await rest(server.url, 'rep1', '/api/v1/settings/relationship')).body;

test('the admin edits the relationship rules; bad values save nothing; visits due follow the new intervals live', async () => {
  const before = await rules();
  assert.deepEqual(before.visits, { key: 30, normal: 90, low_frequency: 180 });

  // The account manager has visits due under the default intervals (demo customers are months old).
  const am = await open('accountmgr', { viewport: PHONE });
  const visits = am.page.getByRole('list', { name: 'Visits due', exact: true });
  await visits.getByRole('link').first().waitFor();

  const admin = await open('admin');
  await navTo(admin.page, 'Settings');
  const form = admin.page.getByRole('form', { name: 'Customer relationship rules' });
  await form.waitFor();
  const field = (name) => form.getByRole('spinbutton', { name, exact: true });
  await eventually(async () => (await field('Key account').inputValue()) === '30', { what: 'the form filled from the directory' });
  assert.equal(await form.getByRole('textbox', { name: 'Currency' }).inputValue(), 'CNY');

  // Out of range: the message sits at the field and the relay keeps the old rules.
  await field('Key account').fill('0');
  await field('Warn when satisfaction is at or below (1-5)').fill('7');
  await form.getByRole('button', { name: 'Save rules' }).click();
  await form.getByRole('alert').filter({ hasText: 'Nothing was saved' }).waitFor();
  await form.getByText('Whole days from 1 to 3650.').waitFor();
  await form.getByText('A whole number from 1 to 5.').waitFor();
  assert.equal(await field('Key account').getAttribute('aria-invalid'), 'true');
  assert.deepEqual(await rules(), before, 'nothing stored');
  await axeScan(admin.page, { what: 'settings with rule errors (desktop)' });

  // Visits every ten years: nothing is due any more.
  for (const name of ['Key account', 'Normal', 'Low frequency']) await field(name).fill('3650');
  await field('Warn after this many days without activity').fill('45');
  await field('Warn when satisfaction is at or below (1-5)').fill('3');
  await form.getByRole('textbox', { name: 'Key account: lifetime value at least' }).fill('500,000');
  await form.getByRole('button', { name: 'Save rules' }).click();
  await form.getByRole('status').filter({ hasText: 'Rules saved.' }).waitFor();
  await form.getByRole('heading', { name: 'Customer relationship rules' }).scrollIntoViewIfNeeded();
  await shot(admin.page, 'rules-admin-desktop');
  await eventually(async () => {
    const r = await rules();
    return r.visits.key === 3650 && r.visits.normal === 3650 && r.visits.low_frequency === 3650
      && r.churn.inactive_days === 45 && r.churn.max_satisfaction === 3 && r.tiers.key_lifetime === 50_000_000;
  }, { what: 'the relay to hold the new rules' });

  await am.page.getByRole('list', { name: 'Visits due', exact: true }).getByRole('link').first().waitFor({ state: 'detached' });
  await am.page.getByText('No visits due.').waitFor();
  assert.deepEqual(am.errors, []);
  await am.context.close();

  // The admin's phone: the form is usable at 390 px.
  const phone = await open('admin', { viewport: PHONE });
  await phone.page.goto(server.url + '/settings/fields');
  const pform = phone.page.getByRole('form', { name: 'Customer relationship rules' });
  await pform.getByRole('spinbutton', { name: 'Key account', exact: true }).scrollIntoViewIfNeeded();
  await eventually(async () => (await pform.getByRole('spinbutton', { name: 'Key account', exact: true }).inputValue()) === '3650');
  await axeScan(phone.page, { what: 'settings (phone)' });
  await shot(phone.page, 'rules-admin-phone');
  assert.deepEqual([...admin.errors, ...phone.errors], []);
  await admin.context.close();
  await phone.context.close();

  // rep1: no settings entry, and the relay refuses the change over REST as well.
  const { token } = await login(server.url, 'rep1');
  const res = await fetch(server.url + '/api/v1/settings/relationship', {
    method: 'PUT', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(before),
  });
  assert.equal(res.status, 403);
  assert.equal((await rules()).visits.key, 3650);
});

/** A customer's cooperation history value (lifetime, last 12 months) in `currency`, as `user` may see it. */
function historyValue(customer, opps, currency, now) {
  const deals = opps.filter((o) => o.customer === customer.id);
  const lines = deals.filter((o) => o.status === 'won').map((o) => ({ at: o.closed_at ?? o.updated_at, amount: o.money?.expected_amount }));
  const visible = new Set(deals.map((o) => o.id));
  for (const [key, e] of Object.entries(customer.money?.orders ?? {})) {
    if (visible.has(e.opportunity ?? key)) continue;
    lines.push({ at: e.signed_at, amount: e.amount });
  }
  const priced = lines.filter((l) => l.amount && l.amount.currency === currency);
  if (!priced.length && lines.some((l) => !l.amount)) return null;
  const sum = (ls) => ls.reduce((s, l) => s + l.amount.amount_minor, 0);
  return { lifetime: sum(priced), year: sum(priced.filter((l) => l.at <= now && Math.trunc((now - l.at) / DAY) < 365)) };
}

test('the customer list filters by tier and sorts by last contact; the customer page suggests a tier', async () => {
  const now = Date.now();
  const customers = items((await rest(server.url, 'rep1', '/api/v1/customers?limit=5000')).body);
  const acts = items((await rest(server.url, 'rep1', '/api/v1/activities?limit=5000')).body);
  const opps = items((await rest(server.url, 'rep1', '/api/v1/opportunities?limit=5000')).body);
  const { page, context, errors } = await open('rep1');
  await navTo(page, 'Customers');
  await page.getByRole('heading', { level: 1, name: 'Customers' }).waitFor();
  const filters = page.getByRole('group', { name: 'Filter' });

  // Tier: key accounts only.
  const keys = customers.filter((c) => c.tier === 'key');
  await filters.getByRole('combobox', { name: 'Tier' }).selectOption('key');
  await page.getByText(`${keys.length} ${keys.length === 1 ? 'row' : 'rows'}`, { exact: true }).waitFor();
  await filters.getByRole('combobox', { name: 'Tier' }).selectOption('');

  // Last contact, longest ago first (never contacted first of all; ties by name).
  const last = (c) => {
    const ts = acts.filter((a) => a.customer === c.id && a.at <= now).map((a) => a.at);
    return ts.length ? Math.max(...ts) : -Infinity;
  };
  const want = [...customers].sort((a, b) => (last(a) - last(b)) || a.name.toLowerCase().localeCompare(b.name.toLowerCase()));
  await filters.getByRole('combobox', { name: 'Sort by' }).selectOption('last_contact');
  const list = page.getByRole('list', { name: 'Customers' });
  const shown = 5;
  await eventually(async () => {
    const names = (await list.locator('.row-title').allInnerTexts()).slice(0, shown).map((t) => t.trim());
    return JSON.stringify(names) === JSON.stringify(want.slice(0, shown).map((c) => c.name)) || names;
  }, { what: 'customers by last contact' }).then((r) => assert.equal(r, true, `order: ${JSON.stringify(r)}`));
  const firstRow = await list.getByRole('link').first().innerText();
  assert.match(firstRow, last(want[0]) === -Infinity ? /no contact yet/ : /Last contact/);
  await axeScan(page, { what: 'customer list sorted (desktop)' });
  await shot(page, 'customers-last-contact-desktop');

  // The suggested tier of rep1's customer with the most history, from the rules the relay serves.
  const r = await rules();
  const mine = customers.filter((c) => c.owner === 'rep1' && c.money);
  const scored = mine.map((c) => ({ c, v: historyValue(c, opps, r.tiers.currency, now) })).filter((x) => x.v);
  scored.sort((a, b) => b.v.lifetime - a.v.lifetime);
  const { c, v } = scored[0];
  const tier = v.lifetime >= r.tiers.key_lifetime || v.year >= r.tiers.key_last_year ? 'Key account'
    : v.year < r.tiers.low_last_year ? 'Low frequency' : 'Normal';
  await page.goto(`${server.url}/r/${c.id}`);
  await page.getByRole('heading', { level: 1, name: c.name }).waitFor();
  const suggestion = page.getByRole('group', { name: 'Suggested from data' });
  await suggestion.getByText(tier, { exact: true }).waitFor();
  const chosen = { key: 'Key account', normal: 'Normal', low_frequency: 'Low frequency' }[c.tier];
  assert.match(await suggestion.innerText(), chosen === tier ? /matches the chosen tier/ : /differs from the chosen tier/);
  assert.deepEqual(errors, []);
  await context.close();

  const phone = await open('rep1', { viewport: PHONE });
  await phone.page.goto(`${server.url}/r/${c.id}`);
  await phone.page.getByRole('group', { name: 'Suggested from data' }).getByText(tier, { exact: true }).waitFor();
  await phone.page.getByRole('group', { name: 'Suggested from data' }).scrollIntoViewIfNeeded();
  await axeScan(phone.page, { what: 'customer page with the suggested tier (phone)' });
  await shot(phone.page, 'customer-suggested-tier-phone');
  assert.deepEqual(phone.errors, []);
  await phone.context.close();

  // Marketing sees no amounts: no suggestion, and no amount on the page.
  const mk = await open('marketing', { viewport: PHONE });
  await mk.page.goto(`${server.url}/r/${c.id}`);
  await mk.page.getByRole('group', { name: 'Suggested from data' }).getByText('No amounts you may see: no suggestion.').waitFor();
  assert.deepEqual(mk.errors, []);
  await mk.context.close();
});
