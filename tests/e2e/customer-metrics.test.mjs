// The dashboard's customer metrics equal the REST `customers` report (one domain function) for the chosen
// period: tiers, average satisfaction, repurchase and churn rates, the at-risk list (each a link to the
// customer). Marketing, who sees no money, gets no lifetime value, no repurchase rate and no amount.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer, login, launch, newContext, signIn, waitUpToDate, eventually, watchErrors, axeScan, shot, navTo, PHONE, DESKTOP,
} from './helpers.mjs';

const MONEY = /[¥￥$]|CN¥|\bCNY\b|\d{1,3}(,\d{3})+(\.\d{2})?|\d+\.\d{2}\b|\d(\.\d+)?[KMB]\b|\d万|\d亿/;
let server, browser;
before(async () => {
  server = await startServer();
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

async function report(user, period) {
  const { token } = await login(server.url, user);
  const offset = -new Date().getTimezoneOffset();
  const res = await fetch(`${server.url}/api/v1/reports/customers?period=${period}&utc_offset_minutes=${offset}`, {
    headers: { authorization: `Bearer ${token}` },
  });
  assert.equal(res.status, 200);
  return (await res.json()).data;
}

const pct = (r) => (r == null ? '—' : `${Math.round(r * 100)}%`);
const one = (x) => (x == null ? '—' : new Intl.NumberFormat('en').format(Math.round(x * 10) / 10));

async function openDashboard(user, viewport) {
  const context = await newContext(browser, { viewport });
  const page = await context.newPage();
  const errors = watchErrors(page);
  await signIn(page, server.url, user);
  await waitUpToDate(page);
  await navTo(page, 'Dashboard');
  await page.getByRole('heading', { level: 1, name: 'Dashboard' }).waitFor();
  return { context, page, errors };
}

test("the manager's customer metrics are the customers report, per period", async () => {
  const { context, page, errors } = await openDashboard('manager', DESKTOP);
  const card = page.getByRole('region', { name: /^Customers/ }).filter({ has: page.getByRole('heading', { name: 'Customers per tier' }) });
  for (const period of ['all', 'year']) {
    if (period !== 'all') await page.getByRole('combobox', { name: 'Period' }).selectOption(period);
    const r = await report('manager', period);
    assert.ok(r.count > 0 && r.at_risk.length > 0, 'the manager has customers, some at risk');
    const kpi = (name) => card.getByRole('group', { name, exact: true });
    await eventually(async () => (await kpi('Churn rate').innerText()).includes(`${pct(r.churn_rate)}\n`) || (await kpi('Churn rate').innerText()).includes(pct(r.churn_rate)), {
      what: `churn rate ${pct(r.churn_rate)} (${period})`,
    });
    assert.match(await kpi('Churn rate').innerText(), new RegExp(`${r.churned} / ${r.base_at_start}`));
    assert.ok((await kpi('Repurchase rate').innerText()).includes(pct(r.repurchase_rate)), `repurchase ${period}`);
    assert.match(await kpi('Repurchase rate').innerText(), new RegExp(`${r.repeat_buyers} / ${r.buyers}`));
    assert.ok((await kpi('Average satisfaction').innerText()).includes(one(r.average_satisfaction)));
    assert.match(await kpi('Average lifetime value').innerText(), /CN¥/);
    const tiers = card.getByRole('list', { name: 'Customers per tier' });
    for (const [tier, label] of [['key', 'Key account'], ['normal', 'Normal'], ['low_frequency', 'Low frequency']]) {
      const text = await tiers.getByRole('listitem').filter({ hasText: label }).first().innerText();
      assert.ok(text.endsWith(String(r.tiers[tier])), `${label}: ${text} vs ${r.tiers[tier]}`);
    }
    const risk = card.getByRole('list', { name: 'At risk' });
    const hrefs = await risk.getByRole('link').evaluateAll((as) => as.map((a) => a.getAttribute('href').replace('/r/', '')));
    assert.deepEqual(hrefs, r.at_risk.slice(0, 20).map((c) => c.customer), `at risk (${period})`);
  }
  await card.scrollIntoViewIfNeeded();
  await axeScan(page, { what: 'dashboard with customer metrics (desktop)' });
  await shot(page, 'dashboard-customers-desktop');
  // Each at-risk customer opens its record.
  const first = card.getByRole('list', { name: 'At risk' }).getByRole('link').first();
  const name = await first.innerText();
  await first.click();
  await page.getByRole('heading', { level: 1, name }).waitFor();
  assert.deepEqual(errors, []);
  await context.close();
});

test("marketing's customer metrics show no money", async () => {
  const { context, page, errors } = await openDashboard('marketing', PHONE);
  const card = page.getByRole('region', { name: /^Customers/ }).filter({ has: page.getByRole('heading', { name: 'Customers per tier' }) });
  await card.getByRole('list', { name: 'Customers per tier' }).waitFor();
  const r = await report('marketing', 'all');
  assert.deepEqual(r.average_lifetime_value, [], 'the report has no amount for marketing either');
  assert.equal(await card.getByRole('group', { name: 'Average lifetime value' }).count(), 0);
  assert.equal(await card.getByRole('group', { name: 'Repurchase rate' }).count(), 0);
  assert.equal(await card.getByRole('group', { name: 'Average satisfaction' }).count(), 0, 'no visits, no service group');
  assert.doesNotMatch(await card.innerText(), MONEY);
  await card.scrollIntoViewIfNeeded();
  await axeScan(page, { what: 'dashboard customer metrics (marketing, phone)' });
  await shot(page, 'dashboard-customers-marketing-phone');
  assert.deepEqual(errors, []);
  await context.close();
});
