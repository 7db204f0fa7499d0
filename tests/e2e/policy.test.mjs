// Settings → Who sees what (issue 11): the admin takes deals' amounts away from sales managers; before saving
// the page says whom that affects and how much; after saving, the manager's open deal page loses its amount
// live (no reload), and the relay no longer gives the manager that deal's money.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
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

test('a policy change takes a deal\'s amount away from sales managers, live', async () => {
  const deals = items((await rest(server.url, 'manager', '/api/v1/opportunities')).body);
  const deal = deals.find((o) => o.owner === 'rep1' && o.money?.expected_amount);
  assert.ok(deal, 'the manager sees a deal of rep1 with its amount');

  // The manager has the deal open on a phone.
  const mctx = await newContext(browser, { viewport: PHONE });
  const mgr = await mctx.newPage();
  const merrors = watchErrors(mgr);
  await signIn(mgr, server.url, 'manager');
  await waitUpToDate(mgr, 30_000);
  await mgr.goto(server.url + `/r/${deal.id}`);
  await mgr.getByRole('heading', { level: 1, name: deal.name }).waitFor();
  await mgr.getByRole('textbox', { name: /Amount/ }).waitFor();

  const actx = await newContext(browser, { viewport: DESKTOP });
  const admin = await actx.newPage();
  const aerrors = watchErrors(admin);
  await signIn(admin, server.url, 'admin');
  await waitUpToDate(admin, 30_000);
  await admin.goto(server.url + '/settings/fields');
  await admin.getByRole('navigation', { name: 'Settings' }).getByRole('link', { name: 'Who sees what' }).click();
  await admin.waitForURL((u) => u.pathname === '/settings/policy');
  const form = admin.getByRole('form', { name: 'Who sees what' });
  const money = form.getByRole('combobox', { name: 'Sales manager: Amounts' });
  await eventually(async () => (await money.inputValue()) === 'team', { what: "the managers' amounts rule" });
  assert.equal(await form.getByRole('button', { name: 'Save' }).isDisabled(), true, 'nothing to save yet');
  await axeScan(admin, { what: 'settings → who sees what' });

  await money.selectOption('nothing');
  const effect = form.getByRole('region', { name: 'Effect of this change' });
  await effect.getByText(/李娜 Li Na will no longer see \d+ deals' amounts/).waitFor();
  await admin.setViewportSize(PHONE);
  await shot(admin, 'policy-phone');
  await admin.setViewportSize(DESKTOP);
  await shot(admin, 'policy-desktop');
  await form.getByRole('button', { name: 'Save' }).click();
  await form.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();

  // The manager's page loses the amount without a reload; the relay gives no money any more.
  await eventually(async () => (await mgr.getByRole('textbox', { name: /Amount/ }).count()) === 0, {
    what: 'the amount gone from the manager\'s open deal', timeout: 30_000,
  });
  await mgr.getByRole('heading', { level: 1, name: deal.name }).waitFor();
  await shot(mgr, 'policy-manager-deal-phone');
  const { body } = await rest(server.url, 'manager', `/api/v1/opportunities/${deal.id}`);
  assert.equal(body.money, undefined, 'no money for the manager over REST');
  // Other roles keep theirs: rep1 still reads the amount.
  const repView = (await rest(server.url, 'rep1', `/api/v1/opportunities/${deal.id}`)).body;
  assert.ok(repView.money?.expected_amount, 'rep1 still sees the amount');
  assert.deepEqual(aerrors, []);
  assert.deepEqual(merrors, []);
  await actx.close();
  await mctx.close();
});
