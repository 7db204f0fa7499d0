// The import page (issue 11): a file in no known layout gets its columns suggested from their names and its
// owner names matched to users; the check (a dry run on the relay) lists every rejected row with its reason
// and the likely duplicates, and nothing can be imported while a row is rejected; mapping the unknown owner
// fixes it. A detected Datablist file imports into the leads pool. A generated 10,000-row file imports with a
// progress bar fed by the relay's import job and ends with a summary linking to the records, which rep1 then
// has.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import {
  startServer, launch, newContext, signIn, waitUpToDate, eventually, rest, items, watchErrors, axeScan, shot,
  PHONE, DESKTOP,
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

/** Every record of `kind` `username` may read (the REST list answers at most 5,000 at a time). */
async function all(username, kind) {
  const out = [];
  for (let offset = 0; ; offset += 5000) {
    const page = items((await rest(server.url, username, `/api/v1/${kind}?limit=5000&offset=${offset}`)).body);
    out.push(...page);
    if (page.length < 5000) return out;
  }
}

async function openImport(page) {
  await page.goto(server.url + '/import');
  await page.getByRole('heading', { level: 1, name: 'Import from a CSV file' }).waitFor();
}

function pick(page, name, text) {
  return page.getByLabel('CSV file', { exact: true }).setInputFiles({ name, mimeType: 'text/csv', buffer: Buffer.from(text) });
}

test('a file in no known layout: columns and owners mapped, the check lists rejected rows and duplicates', async () => {
  const ctx = await newContext(browser, { viewport: DESKTOP });
  const page = await ctx.newPage();
  const errors = watchErrors(page);
  await signIn(page, server.url, 'admin');
  await waitUpToDate(page, 30_000);
  const existing = (await all('admin', 'opportunities'))[0].name;

  await page.getByRole('navigation', { name: 'Main navigation' }).getByRole('link', { name: 'Import' }).click();
  await page.getByRole('heading', { level: 1, name: 'Import from a CSV file' }).waitFor();
  await axeScan(page, { what: 'import (empty)' });

  const file = [
    'Deal Name,Amount,Sales Rep,Account,Internal code',
    `"${existing}",1200,rep1,Acme Trading,A1`,
    'Cable order,ten,rep1,Acme Trading,A2',
    'Router refresh,500,Moses Frase,Beta Industrial,A3',
    'Switch rollout,800,张伟 Zhang Wei,Beta Industrial,A4',
    ',300,rep1,Beta Industrial,A5',
  ].join('\r\n');
  await pick(page, 'deals.csv', file);
  await page.getByText('deals.csv: 5 rows, 5 columns.').waitFor();
  await page.getByText('Layout not recognised').waitFor();
  await page.getByRole('combobox', { name: 'Record kind' }).selectOption('opportunity');
  const columns = page.getByRole('region', { name: 'Columns to fields' });
  const field = (col) => columns.getByRole('combobox', { name: `Field: ${col}` });
  await eventually(async () => (await field('Deal Name').inputValue()) === 'name', { what: 'Deal Name → name' });
  assert.equal(await field('Amount').inputValue(), 'expected_amount');
  assert.equal(await field('Sales Rep').inputValue(), 'owner');
  assert.equal(await field('Account').inputValue(), 'customer');
  assert.equal(await field('Internal code').inputValue(), '', 'an unknown column is not imported');
  const owners = page.getByRole('region', { name: 'Owners to users' });
  const user = (name) => owners.getByRole('combobox', { name: `User: ${name}` });
  await eventually(async () => (await user('rep1').inputValue()) === 'rep1', { what: 'rep1 matched' });
  assert.equal(await user('张伟 Zhang Wei').inputValue(), 'rep1', 'a display name matches its user');
  assert.equal(await user('Moses Frase').inputValue(), '', 'an unknown name is not mapped');
  await axeScan(page, { what: 'import (mapping)' });
  await page.setViewportSize(PHONE);
  await shot(page, 'import-mapping-phone');
  await page.setViewportSize(DESKTOP);
  await shot(page, 'import-mapping-desktop');

  await page.getByRole('button', { name: 'Check the file' }).click();
  const result = page.getByRole('region', { name: 'Check result' });
  await result.waitFor({ timeout: 30_000 });
  await result.getByText('3 of 5 rows cannot be imported.').waitFor();
  const rejected = result.getByRole('table', { name: 'Rejected rows' });
  const rows = await rejected.locator('tbody tr').allInnerTexts();
  assert.equal(rows.length, 3, rows.join('\n'));
  assert.match(rows[0], /^3\s+Amount\s+"ten" is not an amount/);
  assert.match(rows[1], /^4\s+Sales Rep\s+"Moses Frase" is not a user here/);
  assert.match(rows[2], /^6\s+Deal Name\s+missing/);
  const dups = result.getByRole('table', { name: 'Likely duplicates' });
  await dups.getByRole('row').filter({ hasText: existing }).getByRole('link', { name: 'an existing record' }).waitFor();
  assert.equal(await result.getByRole('button', { name: /^Import / }).isDisabled(), true);
  await axeScan(page, { what: 'import (check result)' });
  await page.setViewportSize(PHONE);
  await shot(page, 'import-rejected-phone');
  await page.setViewportSize(DESKTOP);
  await shot(page, 'import-rejected-desktop');
  // Nothing was stored by the check.
  assert.equal((await all('admin', 'opportunities')).filter((o) => o.name === 'Router refresh').length, 0);

  // Back to the mapping: the choices are kept; Moses Frase goes to rep2 and the bad rows are left out.
  await result.getByRole('button', { name: 'Change the mapping' }).click();
  await user('Moses Frase').selectOption('rep2');
  const fixed = file.split('\r\n').filter((l) => !l.startsWith('Cable') && !l.startsWith(',')).join('\r\n');
  await pick(page, 'deals.csv', fixed);
  await page.getByText('deals.csv: 3 rows, 5 columns.').waitFor();
  await eventually(async () => (await user('Moses Frase').inputValue()) === 'rep2', { what: 'the owner choice kept' });
  await page.getByRole('button', { name: 'Check the file' }).click();
  await result.getByText('All 3 rows can be imported: 3 deals, 2 customers.').waitFor({ timeout: 30_000 });
  await result.getByRole('button', { name: 'Import 3 deals, 2 customers' }).click();
  const summary = page.getByRole('region', { name: 'Import done' });
  await summary.waitFor({ timeout: 30_000 });
  await summary.getByText('Imported 3 deals, 2 customers.').waitFor();
  const router = (await all('rep2', 'opportunities')).find((o) => o.name === 'Router refresh');
  assert.ok(router, 'rep2 has the deal mapped to them');
  assert.deepEqual(errors, []);
  await ctx.close();
});

test('a Datablist leads file is recognised and goes into the pool', { skip: !existsSync('/work/shared/data/datablist/leads-100.csv') && 'no sample data' }, async () => {
  const ctx = await newContext(browser, { viewport: PHONE });
  const page = await ctx.newPage();
  await signIn(page, server.url, 'marketing');
  await waitUpToDate(page, 30_000);
  await openImport(page);
  await pick(page, 'leads-100.csv', readFileSync('/work/shared/data/datablist/leads-100.csv', 'utf8'));
  await page.getByText('Recognised: Leads, Datablist leads.').waitFor();
  assert.equal(await page.getByRole('region', { name: 'Columns to fields' }).count(), 0, 'a known layout needs no mapping');
  await page.getByRole('combobox', { name: 'Owner names mapped to nobody' }).selectOption('pool');
  await page.getByRole('button', { name: 'Check the file' }).click();
  const result = page.getByRole('region', { name: 'Check result' });
  await result.getByText('All 100 rows can be imported: 100 leads.').waitFor({ timeout: 30_000 });
  await result.getByRole('table', { name: 'Changed on the way in' }).waitFor();
  await result.getByRole('button', { name: 'Import 100 leads' }).click();
  await page.getByRole('region', { name: 'Import done' }).getByText('Imported 100 leads.').waitFor({ timeout: 30_000 });
  await ctx.close();
});

test('10,000 generated rows import with a progress bar fed by the relay, then a summary links to them', async () => {
  const before = (await all('admin', 'opportunities')).length;
  const lines = ['name,owner,customer,expected_amount,stage'];
  const stages = ['initial', 'needs', 'proposal'];
  for (let i = 0; i < 10_000; i++) {
    lines.push(`Bulk deal ${i},${i % 2 ? 'rep1' : 'rep2'},Bulk customer ${i % 40},${1000 + i},${stages[i % 3]}`);
  }
  const ctx = await newContext(browser, { viewport: DESKTOP });
  const page = await ctx.newPage();
  const errors = watchErrors(page);
  await signIn(page, server.url, 'admin');
  await waitUpToDate(page, 30_000);
  await openImport(page);
  await pick(page, 'bulk.csv', lines.join('\r\n'));
  await page.getByText('Recognised: Opportunities, Columns mapped to fields.').waitFor();
  await page.getByRole('button', { name: 'Check the file' }).click();
  const result = page.getByRole('region', { name: 'Check result' });
  try {
    await result.getByText('All 10,000 rows can be imported: 10,000 deals, 40 customers.').waitFor({ timeout: 300_000 });
  } catch (e) {
    await shot(page, 'import-10k-debug');
    throw e;
  }

  // Every state of the progress bar, as the page shows it.
  await page.evaluate(() => {
    window.__progress = [];
    const note = () => {
      const bar = document.querySelector('[role=progressbar]');
      if (bar) window.__progress.push([Number(bar.getAttribute('aria-valuenow')), bar.getAttribute('aria-valuetext')]);
    };
    new MutationObserver(note).observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
  });
  await result.getByRole('button', { name: 'Import 10,000 deals, 40 customers' }).click();
  const bar = page.getByRole('progressbar', { name: 'Import progress' });
  await bar.waitFor();
  await eventually(async () => /Writing records/.test((await bar.getAttribute('aria-valuetext')) ?? ''), {
    what: 'the bar shows records being written', timeout: 300_000, interval: 20,
  });
  await page.setViewportSize(PHONE);
  await shot(page, 'import-progress-phone');
  await page.setViewportSize(DESKTOP);
  const summary = page.getByRole('region', { name: 'Import done' });
  await summary.waitFor({ timeout: 300_000 });
  await summary.getByText('Imported 10,000 deals, 40 customers.').waitFor();
  const seen = await page.evaluate(() => window.__progress);
  const values = seen.map(([v]) => v);
  assert.ok(values.some((v) => v > 10 && v < 90), `a value between start and end: ${JSON.stringify(seen.slice(0, 40))}`);
  for (let i = 1; i < values.length; i++) assert.ok(values[i] >= values[i - 1], `the bar never goes back: ${values}`);
  await axeScan(page, { what: 'import (summary)' });
  await shot(page, 'import-summary-desktop');
  await page.setViewportSize(PHONE);
  await shot(page, 'import-summary-phone');
  await page.setViewportSize(DESKTOP);

  const after = (await all('admin', 'opportunities')).length;
  assert.equal(after, before + 10_000);
  // The summary links to the records: the first one opens.
  await summary.getByRole('link', { name: 'Bulk deal 0' }).click();
  await page.getByRole('heading', { level: 1, name: /Bulk deal 0/ }).waitFor({ timeout: 30_000 });
  await page.goBack();
  // rep1 has their half.
  const rep1 = (await all('rep1', 'opportunities')).filter((o) => o.name.startsWith('Bulk deal '));
  assert.equal(rep1.length, 5_000);
  assert.deepEqual(errors, []);
  await ctx.close();
});
