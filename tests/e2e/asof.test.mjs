// As of (issue 13): rep1's deal is moved to another stage; on the record page rep1 picks a time before the
// move and sees the old stage, read-only and marked so, worked out on the device; the board as of that time
// has the deal in its old column with moving off. A phone check with screenshots, an axe scan of the as-of
// view, and the banner in Chinese.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer, launch, openSignedIn, eventually, rest, login, navTo, axeScan, shot, PHONE, DESKTOP,
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

const open = (viewport, user, locale) => openSignedIn(browser, server.url, user, { viewport, locale });
const column = (page, name) => page.getByRole('region', { name, exact: true });

async function patch(user, path, body) {
  const { token } = await login(server.url, user);
  const res = await fetch(server.url + path, {
    method: 'PATCH', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body),
  });
  assert.ok(res.ok, `${path}: ${res.status} ${await res.text()}`);
}

/** The browser's local wall time now, as `<input type=datetime-local>` takes it (to the minute). */
const localMinute = (page) => page.evaluate(() => {
  const d = new Date();
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
});

/** Waits until the wall clock is in the next minute (the picker's unit), so "as of" that minute excludes what follows. */
async function nextMinute() {
  const now = new Date();
  await new Promise((r) => setTimeout(r, (60 - now.getSeconds()) * 1000 - now.getMilliseconds() + 1_500));
}

/** Board timings the client logs ("board as of: N of M deals in X ms"), printed for the report. */
function logTimings(page, tag) {
  page.on('console', (m) => {
    if (m.text().startsWith('board as of:')) console.log(`[${tag}] ${m.text()}`);
  });
}

test('a deal as of a time before it moved: the record and the board show its old stage, read-only', async () => {
  const { body: deals } = await rest(server.url, 'rep1', '/api/v1/opportunities?limit=5000');
  const deal = deals.find((d) => d.owner === 'rep1' && d.status === 'active' && d.stage === 'initial' && !d.archived);
  assert.ok(deal, 'rep1 has an active deal in Initial contact');

  const rep1 = await open(DESKTOP, 'rep1');
  logTimings(rep1.page, 'desktop');
  await rep1.page.goto(`${server.url}/r/${deal.id}`);
  await rep1.page.getByRole('heading', { name: deal.name, level: 1 }).waitFor();
  const before = await localMinute(rep1.page);
  await nextMinute();
  await patch('rep1', `/api/v1/opportunities/${deal.id}`, { stage: 'needs' });
  const stage = rep1.page.getByRole('combobox', { name: /^Stage/ });
  await eventually(async () => (await stage.inputValue()) === 'needs', { what: 'the move on rep1 page' });

  // The record as of the minute before the move: the old stage, marked read-only, no field to edit.
  const picker = rep1.page.getByLabel('See it as it was on');
  await picker.fill(before);
  const view = rep1.page.locator('section.as-of');
  await view.getByRole('status').filter({ hasText: /^As of .* — read-only$/ }).waitFor();
  const field = (name) => view.locator('.as-of-field').filter({ has: rep1.page.locator('dt', { hasText: new RegExp(`^${name}$`) }) }).locator('dd');
  await eventually(async () => (await field('Stage').count()) === 1, { what: 'the fields as of then' });
  assert.equal(await field('Stage').innerText(), 'Initial contact');
  assert.equal(await field('Name').innerText(), deal.name);
  assert.equal(await field('Status').innerText(), 'Active');
  assert.equal(await view.locator('input, select, textarea').count(), 0, 'nothing to edit in the past');
  assert.equal(await rep1.page.getByRole('combobox', { name: /^Stage/ }).count(), 0, 'the live stage control is gone');
  await view.getByText('Times as the server received the changes.').waitFor();
  await axeScan(rep1.page, { what: 'record as of a time (desktop)' });
  await shot(rep1.page, 'asof-record-desktop.png');

  // Before the record existed.
  await picker.fill('2001-01-01T09:00');
  await view.getByText('This record did not exist yet at that time.').waitFor();

  // Back to now: the live record, editable.
  await view.getByRole('button', { name: 'Back to now' }).click();
  await eventually(async () => (await stage.count()) === 1 && (await stage.inputValue()) === 'needs', { what: 'the live record back' });
  assert.equal(await rep1.page.locator('section.as-of').count(), 0);

  // The board as of then: the deal in its old column, nothing movable.
  await navTo(rep1.page, 'Pipeline');
  await column(rep1.page, 'Needs confirmed').getByRole('link', { name: deal.name }).waitFor();
  const boardPicker = rep1.page.getByLabel('As of', { exact: true });
  await boardPicker.fill(before);
  await rep1.page.getByRole('status').filter({ hasText: /As of .* — read-only/ }).waitFor();
  await column(rep1.page, 'Initial contact').getByRole('link', { name: deal.name }).waitFor();
  assert.equal(await column(rep1.page, 'Needs confirmed').getByRole('link', { name: deal.name }).count(), 0);
  assert.equal(await rep1.page.getByRole('combobox', { name: /^Move to… / }).count(), 0, 'no moving in the past');
  assert.equal(await rep1.page.locator('li.deal[draggable="true"]').count(), 0, 'no dragging in the past');
  await rep1.page.getByText(/times as recorded on devices/).waitFor();
  await shot(rep1.page, 'asof-board-desktop.png');
  await rep1.page.getByRole('button', { name: 'Back to now' }).click();
  await column(rep1.page, 'Needs confirmed').getByRole('link', { name: deal.name }).waitFor();
  assert.ok((await rep1.page.getByRole('combobox', { name: /^Move to… / }).count()) > 0, 'moving is back');
  assert.deepEqual(rep1.errors, []);
  await rep1.context.close();

  // A phone: the record and the board as of then fit, and read clearly.
  const phone = await open(PHONE, 'rep1');
  logTimings(phone.page, 'phone');
  await phone.page.goto(`${server.url}/r/${deal.id}`);
  await phone.page.getByRole('heading', { name: deal.name, level: 1 }).waitFor();
  await phone.page.getByLabel('See it as it was on').fill(before);
  const pview = phone.page.locator('section.as-of');
  await pview.locator('.as-of-field dd').filter({ hasText: /^Initial contact$/ }).waitFor();
  const overflow = async () => phone.page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok((await overflow()) <= 0, `no horizontal overflow on a phone (${await overflow()}px)`);
  await pview.evaluate((e) => e.scrollIntoView());
  await shot(phone.page, 'asof-record-phone.png');
  await axeScan(phone.page, { what: 'record as of a time (phone)' });
  await navTo(phone.page, 'Pipeline');
  await phone.page.getByLabel('As of', { exact: true }).fill(before);
  await column(phone.page, 'Initial contact').getByRole('link', { name: deal.name }).waitFor();
  await shot(phone.page, 'asof-board-phone.png');
  assert.ok((await overflow()) <= 0, `no horizontal page overflow on the phone board (${await overflow()}px)`);
  assert.deepEqual(phone.errors, []);
  await phone.context.close();

  // In Chinese.
  const zh = await open(DESKTOP, 'rep1', 'zh-CN');
  await zh.page.goto(`${server.url}/r/${deal.id}`);
  await zh.page.getByRole('heading', { name: deal.name, level: 1 }).waitFor();
  await zh.page.getByLabel('查看此时间的状态').fill(before);
  await zh.page.locator('section.as-of').getByRole('status').filter({ hasText: /时的状态 — 只读$/ }).waitFor();
  await zh.page.getByRole('button', { name: '返回当前' }).first().waitFor();
  assert.deepEqual(zh.errors, []);
  await zh.context.close();
});
