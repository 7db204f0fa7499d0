// The insight screens a sales manager expects: the dashboard's per-salesperson table and win rate agree
// with what the relay holds for that user; marketing's dashboard shows no amount; an export goes from
// rep1's request through the manager's approval to a CSV download holding rep1's customers only.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startServer, login, launch, newContext, signIn, waitUpToDate, eventually, rest, items, watchErrors, navTo, PHONE } from './helpers.mjs';

// Any rendering of an amount: currency signs, grouped thousands, two decimals, compact forms (12M, 249万).
const MONEY = /[¥￥$]|CN¥|\bCNY\b|\d{1,3}(,\d{3})+(\.\d{2})?|\d+\.\d{2}\b|\d(\.\d+)?[KMB]\b|\d万|\d亿/;

let server, browser;
const names = {};
before(async () => {
  server = await startServer();
  browser = await launch();
  for (const u of ['rep1', 'rep2', 'rep3', 'manager']) names[u] = (await login(server.url, u)).user.name;
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const pct = (won, lost) => (won + lost === 0 ? '—' : `${Math.round((won * 100) / (won + lost))}%`);
const tally = (opps) => ({
  open: opps.filter((o) => o.status === 'active').length,
  won: opps.filter((o) => o.status === 'won').length,
  lost: opps.filter((o) => o.status === 'lost').length,
});

async function openDashboard(username, viewport) {
  const context = await newContext(browser, viewport ? { viewport } : {});
  const page = await context.newPage();
  const errors = watchErrors(page);
  await signIn(page, server.url, username);
  await waitUpToDate(page);
  await navTo(page, 'Dashboard'); // behind "More" on a phone
  await page.getByRole('heading', { level: 1, name: 'Dashboard' }).waitFor();
  return { context, page, errors };
}

test("the manager's dashboard has a row per salesperson of the team and the relay's win rate", async () => {
  const opps = items((await rest(server.url, 'manager', '/api/v1/opportunities')).body);
  const owners = new Set(opps.map((o) => o.owner));
  assert.ok(owners.has('rep1') && owners.has('rep2'), 'the manager sees deals of rep1 and rep2');
  assert.ok(!owners.has('rep3'), 'and none of rep3 (another team)');
  const all = tally(opps);
  assert.ok(all.won + all.lost > 0, 'some deals are decided');

  const { context, page, errors } = await openDashboard('manager');
  // Win rate over everything the manager sees ("All time" is the default period).
  const winRate = page.getByRole('group', { name: 'Win rate' });
  await eventually(async () => (await winRate.innerText()).includes(pct(all.won, all.lost)), {
    what: `win rate ${pct(all.won, all.lost)}`,
  });
  assert.match(await winRate.innerText(), new RegExp(`${all.won} won · ${all.lost} lost`));

  const table = page.getByRole('table', { name: 'By salesperson' });
  await table.waitFor();
  for (const rep of ['rep1', 'rep2']) {
    const t = tally(opps.filter((o) => o.owner === rep));
    const row = table.getByRole('row', { name: new RegExp(escape(names[rep])) });
    await row.waitFor();
    const cells = await row.getByRole('cell').allInnerTexts();
    // Open, Won, Lost, Open pipeline, Win rate.
    assert.deepEqual([cells[0], cells[1], cells[2]], [String(t.open), String(t.won), String(t.lost)], `${rep}'s counts`);
    assert.match(cells[3], /CN¥/, `${rep}'s pipeline amount`);
    assert.equal(cells[4], pct(t.won, t.lost), `${rep}'s win rate`);
  }
  assert.equal(await table.getByRole('row', { name: new RegExp(escape(names.rep3)) }).count(), 0, 'no row for rep3');

  // The period filter narrows to deals decided this quarter; open deals stay.
  await page.getByRole('combobox', { name: 'Period' }).selectOption('quarter');
  const quarterStart = (() => {
    const d = new Date();
    return new Date(d.getFullYear(), Math.floor(d.getMonth() / 3) * 3, 1).getTime();
  })();
  const inQuarter = opps.filter((o) => o.status === 'active' || (o.closed_at != null && o.closed_at >= quarterStart));
  const q = tally(inQuarter);
  await eventually(async () => (await page.getByRole('group', { name: 'Open', exact: true }).innerText()).includes(String(q.open)), {
    what: 'open deals this quarter',
  });
  assert.ok((await winRate.innerText()).includes(pct(q.won, q.lost)), 'win rate of this quarter');
  assert.deepEqual(errors, []);
  await context.close();
});

test("marketing's dashboard shows no amount", async () => {
  const { context, page, errors } = await openDashboard('marketing', PHONE);
  await page.getByRole('group', { name: 'Win rate' }).waitFor();
  await page.waitForTimeout(500);
  const text = await page.locator('main').innerText();
  assert.doesNotMatch(text, MONEY);
  assert.equal(await page.getByRole('group', { name: 'Open pipeline' }).count(), 0);
  assert.equal(await page.getByRole('columnheader', { name: 'Open pipeline' }).count(), 0);
  assert.deepEqual(errors, []);
  await context.close();
});

/** A small RFC 4180 reader (quoted cells, doubled quotes, CRLF). */
function parseCsv(text) {
  const rows = [];
  let row = [], cell = '', quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { cell += '"'; i++; }
      else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') { row.push(cell); cell = ''; }
    else if (c === '\n') { row.push(cell.replace(/\r$/, '')); rows.push(row); row = []; cell = ''; }
    else cell += c;
  }
  if (cell || row.length) { row.push(cell); rows.push(row); }
  return rows;
}

test('rep1 requests a customer export, the manager approves it, rep1 downloads a CSV of own customers', async () => {
  const mine = items((await rest(server.url, 'rep1', '/api/v1/customers')).body);
  const theirs = items((await rest(server.url, 'rep3', '/api/v1/customers')).body);
  assert.ok(mine.length > 0 && theirs.length > 0);

  const repCtx = await newContext(browser, { viewport: PHONE });
  const rep = await repCtx.newPage();
  const repErrors = watchErrors(rep);
  await signIn(rep, server.url, 'rep1');
  await waitUpToDate(rep);
  await rep.goto(server.url + '/exports');
  await rep.getByRole('heading', { level: 1, name: 'Exports' }).waitFor();
  await rep.getByRole('combobox', { name: 'Collection' }).selectOption({ label: 'Customers' });
  // No reason: refused before anything is sent.
  await rep.getByRole('button', { name: 'Send request' }).click();
  await rep.getByRole('alert').filter({ hasText: 'Give a reason' }).waitFor();
  await rep.getByRole('textbox', { name: 'Reason' }).fill('Visit planning for next month');
  await rep.getByRole('button', { name: 'Send request' }).click();
  const myList = rep.getByRole('list', { name: 'My requests' });
  await myList.getByRole('listitem').filter({ hasText: 'Visit planning for next month' }).filter({ hasText: 'Pending' }).waitFor();
  assert.equal(await rep.getByRole('button', { name: 'Download CSV' }).count(), 0, 'nothing to download yet');
  // rep1 cannot decide their own request.
  assert.equal(await rep.getByRole('button', { name: 'Approve' }).count(), 0);

  const mgrCtx = await newContext(browser);
  const mgr = await mgrCtx.newPage();
  const mgrErrors = watchErrors(mgr);
  await signIn(mgr, server.url, 'manager');
  await mgr.getByRole('navigation', { name: 'Main navigation' }).getByRole('link', { name: 'Exports' }).click();
  const request = mgr
    .getByRole('list', { name: 'Requests you decide' })
    .getByRole('listitem')
    .filter({ hasText: names.rep1 })
    .filter({ hasText: 'Visit planning for next month' });
  await request.getByRole('button', { name: 'Approve' }).click();
  await request.filter({ hasText: 'Approved' }).waitFor();

  await rep.getByRole('button', { name: 'Refresh' }).click();
  const item = myList.getByRole('listitem').filter({ hasText: 'Approved' });
  await item.waitFor();
  const [download] = await Promise.all([rep.waitForEvent('download'), item.getByRole('button', { name: 'Download CSV' }).click()]);
  assert.match(download.suggestedFilename(), /^customers-export-\d+\.csv$/);
  const text = readFileSync(await download.path(), 'utf8').replace(/^\uFEFF/, '');
  const [header, ...rows] = parseCsv(text).filter((r) => r.some((c) => c !== ''));
  const col = (name) => header.indexOf(name);
  assert.ok(col('id') >= 0 && col('owner') >= 0 && col('name') >= 0, `columns: ${header.join(',')}`);
  // Exactly the customers rep1 may read: their own, and (implicit parent read) the customers of their deals.
  assert.deepEqual(rows.map((r) => r[col('id')]).sort(), mine.map((c) => c.id).sort(), "exactly rep1's customers");
  const readable = new Set(mine.map((c) => c.id));
  const hidden = theirs.filter((c) => !readable.has(c.id)).map((c) => c.id);
  assert.ok(hidden.length > 0, 'rep3 has customers rep1 may not read');
  assert.ok(!rows.some((r) => hidden.includes(r[col('id')])), "none of rep3's customers that rep1 may not read");
  assert.ok(rows.some((r) => r[col('owner')] === 'rep1'), "rep1's own customers are in it");
  assert.deepEqual(repErrors, []);
  assert.deepEqual(mgrErrors, []);
  await repCtx.close();
  await mgrCtx.close();
});
