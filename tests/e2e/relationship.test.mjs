// Issue 10, the customer page half: the relationship logged from where people are, and a cooperation history
// derived from won deals. After-sales logs a complaint offline (in Chinese) and the account manager sees it
// live; a rep's customer made in the app gets the rep's won deal in its history, with the amount for the
// account manager and without it for marketing; the account manager adds a renewal by hand (the customer's
// money document started by its first writer, accepted by the relay); a visit scored 2 moves the
// satisfaction and its trend. Phone screenshots of the customer page as each role.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer, launch, newContext, signIn, waitUpToDate, eventually, rest, items, watchErrors, axeScan, login,
  PHONE, SCREENSHOTS,
} from './helpers.mjs';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

/** The whole page from its top (the customer page is long on a phone), for a person to look at. */
async function shot(page, name) {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, name), fullPage: true });
}

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

async function open(username, { viewport = PHONE, locale = 'en-US' } = {}) {
  const context = await newContext(browser, { viewport, locale });
  const page = await context.newPage();
  const errors = watchErrors(page);
  if (locale.startsWith('zh')) {
    await page.goto(server.url + '/');
    await page.getByLabel('用户名').fill(username);
    await page.getByLabel('密码').fill('demo');
    await page.getByRole('button', { name: '登录' }).click();
    await page.getByRole('navigation', { name: '主导航' }).waitFor();
    await zhUpToDate(page);
  } else {
    await signIn(page, server.url, username);
    await waitUpToDate(page, 30_000);
  }
  return { context, page, errors };
}

const zhBadge = (page) => page.getByRole('status', { name: '同步状态' });
const zhUpToDate = (page) => zhBadge(page).filter({ hasText: '已同步' }).waitFor({ timeout: 30_000 });

async function post(user, path, body) {
  const { token } = await login(server.url, user);
  const res = await fetch(server.url + path, {
    method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body),
  });
  assert.equal(res.status, 201, `${path}: ${await res.clone().text()}`);
  return res.json();
}

async function patch(user, path, body) {
  const { token } = await login(server.url, user);
  const res = await fetch(server.url + path, {
    method: 'PATCH', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body),
  });
  assert.ok(res.ok, `${path}: ${res.status} ${await res.text()}`);
}

const accountCustomers = async () =>
  items((await rest(server.url, 'accountmgr', '/api/v1/customers')).body).filter((c) => c.owner === 'accountmgr');

async function openRecord(page, id, name) {
  await page.goto(`${server.url}/r/${id}`);
  await page.getByRole('heading', { level: 1, name, exact: true }).waitFor();
}

test('售后离线登记投诉，联网后客户经理实时看到（zh-CN）', async () => {
  const [customer] = await accountCustomers();
  assert.ok(customer, 'the account manager maintains a customer');
  const am = await open('accountmgr', { viewport: { width: 1280, height: 800 }, locale: 'zh-CN' });
  await openRecord(am.page, customer.id, customer.name);
  const as = await open('aftersales', { locale: 'zh-CN' });
  await openRecord(as.page, customer.id, customer.name);

  await as.context.setOffline(true);
  await zhBadge(as.page).filter({ hasText: '离线' }).waitFor({ timeout: 15_000 });
  const subject = `发票金额错误 ${Date.now()}`;
  const form = as.page.getByRole('form', { name: '记录活动' });
  // After-sales starts on a service ticket; a complaint asks for the assignee and the date to resolve by.
  const kind = form.getByRole('combobox', { name: '活动类型' });
  assert.equal(await kind.inputValue(), 'service');
  await kind.selectOption({ label: '投诉' });
  await form.getByRole('button', { name: '记录' }).click();
  await form.getByText('请填写主题。').waitFor();
  assert.equal(await form.getByRole('textbox', { name: '主题' }).getAttribute('aria-invalid'), 'true');
  await form.getByRole('textbox', { name: '主题' }).fill(subject);
  assert.equal(await form.getByRole('combobox', { name: '处理人' }).inputValue(), 'aftersales');
  await form.getByLabel('解决期限').fill('2031-03-01');
  await form.getByRole('button', { name: '记录' }).click();
  await form.getByRole('status').filter({ hasText: '已记录。' }).waitFor();
  const line = as.page.locator('.timeline li').filter({ hasText: subject });
  await line.getByRole('link', { name: `投诉 · ${subject}` }).waitFor();
  assert.match(await line.innerText(), /待处理 · 处理人：孙磊 Sun Lei/);
  const onRelay = async () => items((await rest(server.url, 'accountmgr', '/api/v1/activities')).body).find((a) => a.subject === subject);
  assert.equal(await onRelay(), undefined, 'nothing reached the relay while offline');
  await axeScan(as.page, { what: 'the customer page as after-sales, offline' });
  const [wide, screen] = await as.page.evaluate(() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]);
  assert.ok(wide <= screen, `no sideways scroll on a phone while changes wait offline (${wide} > ${screen})`);
  await shot(as.page, 'relationship-customer-aftersales-phone.png');

  await as.context.setOffline(false);
  await zhUpToDate(as.page);
  // The account manager's open page shows it without a reload.
  const amLine = am.page.locator('.timeline li').filter({ hasText: subject });
  await amLine.getByRole('link', { name: `投诉 · ${subject}` }).waitFor({ timeout: 20_000 });
  const stored = await eventually(onRelay, { what: 'the complaint on the relay' });
  assert.equal(stored.status, 'open');
  assert.equal(stored.assignee, 'aftersales');
  assert.equal(stored.customer, customer.id);

  await axeScan(am.page, { what: 'the customer page as the account manager, in Chinese' });
  await shot(am.page, 'relationship-customer-accountmgr-zh-desktop.png');

  // Its status moves on its own page: open → in progress.
  await amLine.getByRole('link', { name: `投诉 · ${subject}` }).click();
  await am.page.getByRole('heading', { level: 1, name: subject }).waitFor();
  await am.page.getByRole('combobox', { name: '状态', exact: true }).selectOption({ label: '处理中' });
  await eventually(async () => (await onRelay())?.status === 'in_progress', { what: 'the case in progress on the relay' });
  await axeScan(am.page, { what: 'a complaint page in Chinese' });
  await shot(am.page, 'relationship-complaint-zh-desktop.png');
  assert.deepEqual(as.errors, []);
  assert.deepEqual(am.errors, []);
  await as.context.close();
  await am.context.close();
});

test("a rep's won deal for a customer made in the app is in its cooperation history, with the amount only for money readers", async () => {
  const stamp = Date.now();
  const customerName = `Relationship Co ${stamp}`;
  const dealName = `Relationship deal ${stamp}`;
  const rep = await open('rep1');
  await rep.page.goto(server.url + '/new/customer');
  const form = rep.page.getByRole('form', { name: 'New customer' });
  await form.getByRole('textbox', { name: 'Name', exact: true }).fill(customerName);
  await form.getByRole('button', { name: 'Create' }).click();
  await rep.page.waitForURL((u) => u.pathname.startsWith('/r/'));
  const customerId = new URL(rep.page.url()).pathname.split('/').pop();
  await rep.page.getByRole('heading', { level: 1, name: customerName }).waitFor();
  await rep.page.getByText('No cooperation history yet.').waitFor();

  await rep.page.getByRole('link', { name: 'New opportunity' }).click();
  const oppForm = rep.page.getByRole('form', { name: 'New opportunity' });
  await oppForm.getByRole('textbox', { name: 'Name', exact: true }).fill(dealName);
  await oppForm.getByRole('textbox', { name: 'Amount (CNY)' }).fill('123456');
  await oppForm.getByLabel('Expected close').fill('2030-06-30');
  await oppForm.getByRole('button', { name: 'Create' }).click();
  await rep.page.getByRole('heading', { level: 1, name: dealName }).waitFor();
  const dealId = new URL(rep.page.url()).pathname.split('/').pop();
  // Won on the rep's device, through the pipeline's confirmation.
  await rep.page.getByRole('combobox', { name: 'Stage' }).selectOption({ label: 'Contract signed' });
  await rep.page.getByRole('alertdialog').getByRole('button', { name: 'Confirm' }).click();
  await eventually(async () => (await rest(server.url, 'rep1', `/api/v1/opportunities/${dealId}`)).body.status === 'won', {
    what: 'the won deal on the relay',
  });
  await openRecord(rep.page, customerId, customerName);
  const repHistory = rep.page.locator('section').filter({ has: rep.page.getByRole('heading', { name: 'Cooperation history' }) });
  await repHistory.getByRole('link', { name: dealName }).waitFor();
  assert.match(await repHistory.locator('li').filter({ hasText: dealName }).innerText(), /Won deal · CN¥123,456\.00/);
  await axeScan(rep.page, { what: 'the customer page as the rep' });
  await shot(rep.page, 'relationship-customer-rep-phone.png');
  assert.deepEqual(rep.errors, []);
  await rep.context.close();

  // The customer is handed to the account manager (an admin's reassignment).
  await patch('admin', `/api/v1/customers/${customerId}`, { owner: 'accountmgr' });

  const am = await open('accountmgr');
  await openRecord(am.page, customerId, customerName);
  const history = am.page.locator('section').filter({ has: am.page.getByRole('heading', { name: 'Cooperation history' }) });
  await history.getByRole('link', { name: dealName }).waitFor({ timeout: 20_000 });
  assert.match(await history.locator('li').filter({ hasText: dealName }).innerText(), /Won deal · CN¥123,456\.00/);
  const ltv = am.page.getByText('Lifetime value').locator('..').locator('output');
  await eventually(async () => (await ltv.innerText()) === 'CN¥123,456.00', { what: 'the lifetime value from the won deal' });

  // A renewal by hand: a wrong amount first (nothing saved), then the real one.
  await history.getByText('Add an order, contract or renewal').click();
  const add = am.page.getByRole('form', { name: 'Add an order, contract or renewal' });
  await add.getByRole('combobox', { name: 'Entry type' }).selectOption({ label: 'Renewal' });
  await add.getByRole('textbox', { name: 'Amount (CNY)' }).fill('12,50x');
  await add.getByRole('textbox', { name: 'Product' }).fill('Support renewal 2027');
  await add.getByRole('button', { name: 'Add to history' }).click();
  await add.getByText('Enter an amount of 0 or more').waitFor();
  assert.equal(await add.getByRole('textbox', { name: 'Product' }).inputValue(), 'Support renewal 2027', 'nothing typed is lost');
  await add.getByRole('textbox', { name: 'Amount (CNY)' }).fill('5,000');
  await add.getByRole('textbox', { name: 'Note' }).fill('two years');
  await add.getByRole('button', { name: 'Add to history' }).click();
  await add.getByRole('status').filter({ hasText: 'Added to the cooperation history.' }).waitFor();
  const renewal = history.locator('li').filter({ hasText: 'Support renewal 2027' });
  await renewal.waitFor();
  assert.match(await renewal.innerText(), /Renewal · CN¥5,000\.00/);
  await eventually(async () => (await ltv.innerText()) === 'CN¥128,456.00', { what: 'the lifetime value with the renewal' });
  // The relay accepted the money document the account manager started for this customer.
  const stored = await eventually(async () => {
    const c = (await rest(server.url, 'accountmgr', `/api/v1/customers/${customerId}`)).body;
    return Object.values(c.money?.orders ?? {}).find((o) => o.product === 'Support renewal 2027');
  }, { what: 'the renewal on the relay' });
  assert.equal(stored.amount.amount_minor, 500_000);
  assert.equal(stored.entry_kind, 'renewal');
  await waitUpToDate(am.page);
  await axeScan(am.page, { what: 'the customer page as the account manager' });
  await shot(am.page, 'relationship-customer-accountmgr-phone.png');
  assert.deepEqual(am.errors, []);
  await am.context.close();

  // Marketing reads deals but no money: the won deal is listed without its amount, nothing to log.
  const mk = await open('marketing');
  await openRecord(mk.page, customerId, customerName);
  const mkHistory = mk.page.locator('section').filter({ has: mk.page.getByRole('heading', { name: 'Cooperation history' }) });
  await mkHistory.getByRole('link', { name: dealName }).waitFor();
  const mkLine = await mkHistory.locator('li').filter({ hasText: dealName }).innerText();
  assert.match(mkLine, /Won deal/);
  assert.doesNotMatch(mkLine, /¥|123,456/);
  await mkHistory.getByText('amount not shown to your role').waitFor();
  assert.equal(await mkHistory.getByText('Support renewal 2027').count(), 0, 'hand-written entries are money');
  assert.equal(await mk.page.getByText('Lifetime value').count(), 0);
  assert.equal(await mk.page.getByRole('heading', { name: 'Contacts' }).count(), 0, 'marketing reads no contacts');
  assert.equal(await mk.page.getByRole('form', { name: 'Log an activity' }).count(), 0);
  assert.doesNotMatch(await mk.page.locator('main').innerText(), /¥/);
  await axeScan(mk.page, { what: 'the customer page as marketing' });
  await shot(mk.page, 'relationship-customer-marketing-phone.png');
  assert.deepEqual(mk.errors, []);
  await mk.context.close();
});

test('a visit scored 2 moves the satisfaction shown, with its trend', async () => {
  const customer = (await accountCustomers()).at(-1);
  for (const days of [30, 20, 10]) {
    await post('accountmgr', '/api/v1/activities', {
      activity_kind: 'visit', subject: `Quarterly visit -${days}d`, at: Date.now() - days * DAY, customer: customer.id, satisfaction: 5,
    });
  }
  const { context, page, errors } = await open('accountmgr');
  await openRecord(page, customer.id, customer.name);
  const shown = page.getByText('Satisfaction', { exact: true }).locator('..').locator('output');
  await eventually(async () => (await shown.innerText()) === '5.0 / 5 from 3 visits', { what: 'satisfaction from three visits' });

  const form = page.getByRole('form', { name: 'Log an activity' });
  const kind = form.getByRole('combobox', { name: 'Activity type' });
  assert.equal(await kind.inputValue(), 'visit', 'account managers start on a visit');
  await form.getByRole('textbox', { name: 'Subject' }).fill('Check-in after the outage');
  await form.getByRole('combobox', { name: 'Satisfaction score (1-5)' }).selectOption('2');
  // A day that has not happened yet is refused; what was typed stays.
  await form.getByLabel('When').fill('2099-01-01');
  await form.getByRole('button', { name: 'Log it' }).click();
  await form.getByText('Pick today or an earlier day').waitFor();
  assert.equal(await form.getByRole('textbox', { name: 'Subject' }).inputValue(), 'Check-in after the outage');
  await form.getByLabel('When').fill('');
  await form.getByRole('button', { name: 'Log it' }).click();
  await form.getByRole('status').filter({ hasText: 'Logged.' }).waitFor();
  // Latest three scores 2, 5, 5 (4.0) after 5: falling.
  await eventually(async () => (await shown.innerText()) === '4.0 / 5 from 3 visits · ↓ falling', { what: 'the satisfaction after a 2' });
  await page.locator('.timeline li').filter({ hasText: 'Check-in after the outage' }).getByText('score 2/5').waitFor();
  const stored = await eventually(async () => items((await rest(server.url, 'accountmgr', '/api/v1/activities')).body)
    .find((a) => a.subject === 'Check-in after the outage'), { what: 'the visit on the relay' });
  assert.equal(stored.satisfaction, 2);
  assert.equal(stored.activity_kind, 'visit');
  assert.deepEqual(errors, []);
  await context.close();
});

test('a call logged on a contact and on a lead lands on both pages and on the customer', async () => {
  const contact = items((await rest(server.url, 'rep1', '/api/v1/contacts')).body).find((c) => c.customer && c.owner === 'rep1')
    ?? items((await rest(server.url, 'rep1', '/api/v1/contacts')).body).find((c) => c.customer);
  const lead = items((await rest(server.url, 'rep1', '/api/v1/leads')).body).find((l) => l.owner === 'rep1' && l.status !== 'converted');
  assert.ok(contact && lead, 'rep1 has a contact and a lead');
  const { context, page, errors } = await open('rep1', { viewport: { width: 1280, height: 800 } });
  for (const [record, subject] of [[contact, `Contact call ${Date.now()}`], [lead, `Lead call ${Date.now()}`]]) {
    await openRecord(page, record.id, record.name);
    const form = page.getByRole('form', { name: 'Log an activity' });
    await form.getByRole('combobox', { name: 'Activity type' }).selectOption({ label: 'Call' });
    await form.getByRole('textbox', { name: 'Subject' }).fill(subject);
    await form.getByRole('button', { name: 'Log it' }).click();
    await page.locator('.timeline').getByRole('link', { name: `Call · ${subject}` }).waitFor();
    const stored = await eventually(async () => items((await rest(server.url, 'rep1', '/api/v1/activities')).body)
      .find((a) => a.subject === subject), { what: `${subject} on the relay` });
    if (record === contact) {
      assert.equal(stored.contact, contact.id);
      assert.equal(stored.customer, contact.customer);
    } else {
      assert.equal(stored.lead, lead.id);
    }
    await axeScan(page, { what: `the page of ${record.name}` });
  }
  await shot(page, 'relationship-lead-desktop.png');
  assert.deepEqual(errors, []);
  await context.close();
});
