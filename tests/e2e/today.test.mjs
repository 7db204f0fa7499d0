// The Today page lists exactly what is due, computed here independently from what the relay serves over
// REST (records and the relationship rules), for rep1 (English, desktop and phone) and the account manager
// (简体中文): follow-ups overdue and due today, visits due per tier interval, complaints and tickets past
// due, churn warnings with their reason. Each item links to its record; the nav counts what is due.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer, login, launch, newContext, signIn, waitUpToDate, eventually, rest, items, watchErrors, axeScan, shot,
  PHONE, DESKTOP,
} from './helpers.mjs';

const DAY = 86_400_000;
let server, browser;

async function post(user, path, body) {
  const { token } = await login(server.url, user);
  const res = await fetch(server.url + path, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const json = await res.json();
  assert.equal(res.status, 201, `${user} POST ${path}: ${JSON.stringify(json)}`);
  return json;
}

before(async () => {
  server = await startServer();
  browser = await launch();
  // Cases past due for rep1 and the account manager (and one not yet due, one resolved: not listed), and a
  // follow-up rep1 set for later today.
  const now = Date.now();
  const customers = items((await rest(server.url, 'admin', '/api/v1/customers?limit=5000')).body);
  const of = (u) => customers.find((c) => c.owner === u);
  const complaint = (c, subject, assignee, due, extra = {}) => post('aftersales', '/api/v1/activities', {
    activity_kind: 'complaint', subject, customer: c.id, assignee, due_at: due, at: now - 5 * DAY, ...extra,
  });
  await complaint(of('rep1'), 'Invoice wrong twice', 'rep1', now - 2 * DAY);
  await complaint(of('rep1'), 'Manual missing', 'rep1', now + 3 * DAY);
  await complaint(of('rep1'), 'Late delivery', 'rep1', now - 3 * DAY, { status: 'resolved', resolved_at: now - DAY });
  await complaint(of('accountmgr'), '发票金额有误', 'accountmgr', now - DAY);
  await post('aftersales', '/api/v1/activities', {
    activity_kind: 'service', subject: 'Printer service overdue', customer: of('accountmgr').id, assignee: 'accountmgr',
    due_at: now - 4 * DAY, at: now - 6 * DAY,
  });
  await post('rep1', '/api/v1/activities', {
    activity_kind: 'call', subject: 'Call back about the quote', customer: of('rep1').id, at: now - DAY,
    next_step: 'Send the revised quote', next_step_at: now,
  });
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

/** What `user` has due at `now`, from REST: the rules of domain::ops::follow_ups and domain::relationship. */
async function expected(user, now) {
  const get = async (p) => items((await rest(server.url, user, `/api/v1/${p}?limit=5000`)).body);
  const [opps, acts, customers] = [await get('opportunities'), await get('activities'), await get('customers')];
  const { body: rules } = await rest(server.url, user, '/api/v1/settings/relationship');
  assert.ok(rules.visits && rules.churn, 'the rules are served');
  const start = new Date(now);
  start.setHours(0, 0, 0, 0);
  const [today0, tomorrow0] = [start.getTime(), start.getTime() + DAY];
  const followUps = [
    ...opps.filter((o) => o.owner === user && o.status === 'active' && o.next_follow_up != null)
      .map((o) => ({ id: o.id, due: o.next_follow_up })),
    ...acts.filter((a) => a.owner === user && a.next_step_at != null).map((a) => ({ id: a.id, due: a.next_step_at })),
  ];
  const overdue = followUps.filter((f) => f.due < today0).map((f) => f.id);
  const today = followUps.filter((f) => f.due >= today0 && f.due < tomorrow0).map((f) => f.id);
  const mine = customers.filter((c) => c.owner === user);
  const actsOf = (c) => acts.filter((a) => a.customer === c.id);
  const interval = { key: rules.visits.key, normal: rules.visits.normal, low_frequency: rules.visits.low_frequency };
  const visits = mine.filter((c) => {
    const seen = actsOf(c).filter((a) => a.activity_kind === 'visit' && a.at <= now).map((a) => a.at);
    const from = seen.length ? Math.max(...seen) : c.created_at;
    return from + interval[c.tier] * DAY <= now;
  }).map((c) => c.id);
  const isCase = (a) => a.activity_kind === 'complaint' || a.activity_kind === 'service';
  const open = (a) => (a.status ?? 'open') !== 'resolved';
  const cases = acts.filter((a) => isCase(a) && open(a) && a.due_at != null && a.due_at < now && (a.assignee ?? a.owner) === user)
    .map((a) => a.id);
  const churn = {};
  for (const c of mine) {
    const reasons = [];
    const times = actsOf(c).map((a) => a.at);
    const since = times.length ? Math.max(...times) : c.created_at;
    const days = Math.trunc((now - since) / DAY);
    if (days >= rules.churn.inactive_days) reasons.push(`No activity for ${days} days`);
    const scored = actsOf(c)
      .filter((a) => a.activity_kind === 'visit' && a.at <= now && Math.trunc((now - a.at) / DAY) <= 365 && a.satisfaction != null)
      .sort((a, b) => b.at - a.at).slice(0, 3).map((a) => a.satisfaction);
    const score = scored.length ? scored.reduce((x, y) => x + y, 0) / scored.length : c.service?.satisfaction;
    if (score != null && Math.min(5, Math.max(1, Math.round(score))) <= rules.churn.max_satisfaction) {
      reasons.push(`Low satisfaction: ${Math.round(score)}`);
    }
    const complaints = (c.service?.events ?? []).filter((e) => e.kind === 'complaint' && e.open).length
      + actsOf(c).filter((a) => a.activity_kind === 'complaint' && open(a)).length;
    if (complaints) reasons.push(complaints === 1 ? '1 open complaint' : `${complaints} open complaints`);
    if (reasons.length) churn[c.id] = reasons;
  }
  return { overdue, today, visits, cases, churn, count: overdue.length + today.length + visits.length + cases.length };
}

/** The record ids a Today list links to. */
async function linked(page, name) {
  const hrefs = await page.getByRole('list', { name, exact: true }).getByRole('link').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
  return hrefs.map((h) => h.replace(/^\/r\//, '')).sort();
}

const sorted = (a) => [...a].sort();

async function openToday(user, { viewport = DESKTOP, locale = 'en-US' } = {}) {
  const context = await newContext(browser, { viewport, locale });
  const page = await context.newPage();
  const errors = watchErrors(page);
  await signIn(page, server.url, user);
  await waitUpToDate(page);
  return { context, page, errors };
}

test("rep1's Today page lists what is due, each item opens its record, and the nav counts it", async () => {
  const { context, page, errors } = await openToday('rep1');
  const nav = page.getByRole('navigation', { name: 'Main navigation' });
  const want = await expected('rep1', Date.now());
  assert.ok(want.cases.length === 1 && want.today.length >= 1, `the set-up items are there: ${JSON.stringify(want)}`);
  assert.ok(want.visits.length > 0 && Object.keys(want.churn).length > 0, 'the demo has visits due and warnings');
  await eventually(async () => JSON.stringify(await linked(page, 'Complaints and tickets past due')) === JSON.stringify(sorted(want.cases)), {
    what: 'the case list',
  });
  assert.deepEqual(await linked(page, 'Follow-ups overdue'), sorted(want.overdue));
  assert.deepEqual(await linked(page, 'Follow-ups due today'), sorted(want.today));
  assert.deepEqual(await linked(page, 'Visits due'), sorted(want.visits));
  assert.deepEqual(await linked(page, 'Churn warnings'), sorted(Object.keys(want.churn)));
  // Each warning gives its reasons.
  const churnList = page.getByRole('list', { name: 'Churn warnings', exact: true });
  for (const [id, reasons] of Object.entries(want.churn)) {
    const text = await churnList.getByRole('listitem').filter({ has: page.locator(`a[href="/r/${id}"]`) }).innerText();
    for (const r of reasons) assert.ok(text.includes(r), `${id}: "${text}" gives "${r}"`);
  }
  // The resolved complaint and the one not yet due are not listed.
  const cases = page.getByRole('list', { name: 'Complaints and tickets past due', exact: true });
  assert.equal(await cases.getByRole('link', { name: 'Invoice wrong twice' }).count(), 1);
  assert.equal(await cases.getByRole('link', { name: 'Manual missing' }).count(), 0);
  assert.equal(await cases.getByRole('link', { name: 'Late delivery' }).count(), 0);
  // The nav's count: follow-ups, visits and cases.
  await nav.getByRole('link', { name: `Today (${want.count} due)` }).waitFor();
  await axeScan(page, { what: 'today (desktop)' });
  await shot(page, 'today-rep1-desktop');

  // Items open their records: a visit opens the customer, a case opens the complaint.
  const visitId = want.visits[0];
  await page.getByRole('list', { name: 'Visits due', exact: true }).locator(`a[href="/r/${visitId}"]`).click();
  const { body: customer } = await rest(server.url, 'rep1', `/api/v1/customers/${visitId}`);
  await page.getByRole('heading', { level: 1, name: customer.name }).waitFor();
  await nav.getByRole('link', { name: /^Today/ }).click();
  await cases.getByRole('link', { name: 'Invoice wrong twice' }).click();
  await page.getByRole('heading', { level: 1, name: 'Invoice wrong twice' }).waitFor();
  assert.deepEqual(errors, []);
  await context.close();

  const phone = await openToday('rep1', { viewport: PHONE });
  await phone.page.getByRole('list', { name: 'Visits due', exact: true }).getByRole('link').first().waitFor();
  await phone.page.getByRole('navigation', { name: 'Main navigation' }).getByRole('link', { name: `Today (${want.count} due)` }).waitFor();
  await axeScan(phone.page, { what: 'today (phone)' });
  await shot(phone.page, 'today-rep1-phone');
  await phone.page.getByRole('heading', { name: /^Churn warnings/ }).scrollIntoViewIfNeeded();
  await shot(phone.page, 'today-rep1-phone-churn');
  assert.deepEqual(phone.errors, []);
  await phone.context.close();
});

test("the account manager's Today page, in Chinese, lists their visits, cases and warnings", async () => {
  const { context, page, errors } = await openToday('accountmgr', { viewport: PHONE, locale: 'zh-CN' });
  const want = await expected('accountmgr', Date.now());
  assert.equal(want.cases.length, 2, 'the complaint and the service ticket assigned to them');
  await eventually(async () => JSON.stringify(await linked(page, '逾期的投诉与工单')) === JSON.stringify(sorted(want.cases)), {
    what: 'the case list',
  });
  assert.deepEqual(await linked(page, '待回访客户'), sorted(want.visits));
  assert.deepEqual(await linked(page, '流失预警'), sorted(Object.keys(want.churn)));
  assert.deepEqual(await linked(page, '逾期跟进'), sorted(want.overdue));
  assert.deepEqual(await linked(page, '今日跟进'), sorted(want.today));
  await page.getByRole('navigation', { name: '主导航' }).getByRole('link', { name: `今日 (${want.count} 项待办)` }).waitFor();
  const text = await page.locator('main').innerText();
  assert.doesNotMatch(text, /Visits due|Churn warnings|never visited|last visit/, 'no English left on the page');
  await axeScan(page, { what: 'today zh-CN (phone)' });
  await shot(page, 'today-accountmgr-zh-phone');
  assert.deepEqual(errors, []);
  await context.close();
});
