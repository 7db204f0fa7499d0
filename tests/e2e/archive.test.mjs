// Record archive in the browser: rep1 archives a deal from its page; it leaves the deal list and search
// and shows under "Archived only"; rep1 has no Restore button (the relay would refuse it too); their
// manager restores it and it is back in rep1's list, live. Phone and desktop screenshots, axe on each page.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer, launch, openSignedIn, eventually, rest, axeScan, shot, PHONE, DESKTOP,
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

test('a deal is archived by its owner, hidden from lists and found under the filter, restored by the manager', async () => {
  const { body: deals } = await rest(server.url, 'rep1', '/api/v1/opportunities?limit=5000');
  const deal = deals.find((d) => d.owner === 'rep1' && d.status === 'active');
  assert.ok(deal, 'rep1 has an active deal');

  const rep1 = await open(PHONE, 'rep1');
  await rep1.page.goto(`${server.url}/r/${deal.id}`);
  await rep1.page.getByRole('heading', { name: deal.name }).waitFor();
  await shot(rep1.page, 'archive-record-phone.png');
  await axeScan(rep1.page, { what: 'record page (phone)' });
  await rep1.page.getByRole('button', { name: 'Archive' }).click();
  await rep1.page.getByText('Archived', { exact: true }).waitFor();
  assert.equal(await rep1.page.getByRole('button', { name: 'Restore' }).count(), 0, 'the owner cannot restore');
  await eventually(async () => {
    const r = await rest(server.url, 'rep1', `/api/v1/opportunities/${deal.id}`);
    return r.status === 200 && r.body.archived?.by === 'rep1';
  }, { what: 'the archive mark on the relay' });
  const listed = await rest(server.url, 'rep1', '/api/v1/opportunities?limit=5000');
  assert.ok(!listed.body.some((d) => d.id === deal.id), 'REST lists leave it out');

  // The list: gone, and there under "Archived only".
  await rep1.page.goto(`${server.url}/opportunities`);
  await rep1.page.getByRole('searchbox', { name: 'Search Opportunities' }).fill(deal.name);
  await eventually(async () => (await rep1.page.getByRole('link', { name: deal.name }).count()) === 0, { what: 'the deal to leave the list' });
  await rep1.page.getByRole('checkbox', { name: 'Archived only' }).check();
  await rep1.page.getByRole('link', { name: deal.name }).first().waitFor();
  await shot(rep1.page, 'archive-list-phone.png');
  await axeScan(rep1.page, { what: 'list with the archived filter (phone)' });

  // The manager restores it on desktop; rep1's list shows it again, live.
  const manager = await open(DESKTOP, 'manager');
  await manager.page.goto(`${server.url}/r/${deal.id}`);
  await manager.page.getByRole('heading', { name: deal.name }).waitFor();
  await manager.page.getByRole('button', { name: 'Restore' }).waitFor();
  await shot(manager.page, 'archive-restore-desktop.png');
  await axeScan(manager.page, { what: 'archived record page (desktop)' });
  await manager.page.getByRole('button', { name: 'Restore' }).click();
  await manager.page.getByRole('button', { name: 'Archive' }).waitFor();
  await rep1.page.getByRole('checkbox', { name: 'Archived only' }).uncheck();
  await rep1.page.getByRole('link', { name: deal.name }).first().waitFor();
  await eventually(async () => {
    const r = await rest(server.url, 'rep1', `/api/v1/opportunities/${deal.id}`);
    return r.status === 200 && !('archived' in r.body);
  }, { what: 'the restore on the relay' });
  assert.deepEqual(rep1.errors, []);
  assert.deepEqual(manager.errors, []);
  await rep1.context.close();
  await manager.context.close();
});
