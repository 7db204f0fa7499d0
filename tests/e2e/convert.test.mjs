// Converting a lead: when a customer with the lead's company name exists, the user is offered that
// customer; choosing it attaches the new opportunity to it. The relay ends up with the converted lead
// and the new deal.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launch, newContext, signIn, waitUpToDate, eventually, rest, items, watchErrors } from './helpers.mjs';

let server, browser;
before(async () => {
  server = await startServer();
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

test('rep1 converts a lead and picks the existing customer with the same name', async () => {
  const leads = items((await rest(server.url, 'rep1', '/api/v1/leads')).body);
  const lead = leads.find((l) => l.owner === 'rep1' && ['new', 'contacted', 'qualified'].includes(l.status));
  const customer = items((await rest(server.url, 'rep1', '/api/v1/customers')).body).find((c) => c.owner === 'rep1');
  assert.ok(lead && customer, 'rep1 has an open lead and a customer');

  const context = await newContext(browser);
  const page = await context.newPage();
  const errors = watchErrors(page);
  await signIn(page, server.url, 'rep1');
  await waitUpToDate(page);
  await page.goto(`${server.url}/r/${lead.id}`);
  await page.getByRole('heading', { level: 1, name: lead.name, exact: true }).waitFor();

  // The lead's company is the existing customer's name.
  const company = page.getByRole('textbox', { name: 'Company' });
  await company.fill(customer.name);
  await company.press('Enter');
  await page.getByRole('button', { name: 'Convert to opportunity' }).click();
  await page.getByRole('alert').filter({ hasText: 'A customer with this name exists' }).waitFor();
  await page.getByRole('button', { name: new RegExp(`Use existing: ${customer.name}`) }).click();

  // We land on the new deal, linked to the existing customer.
  await page.waitForURL((u) => u.pathname.startsWith('/r/') && !u.pathname.endsWith(lead.id));
  const oppId = new URL(page.url()).pathname.split('/').pop();
  await page.getByRole('heading', { level: 1, name: lead.name, exact: true }).waitFor();
  await page.getByRole('link', { name: customer.name }).first().waitFor();

  await waitUpToDate(page, 30_000);
  const opp = await eventually(async () => {
    const r = await rest(server.url, 'rep1', `/api/v1/opportunities/${oppId}`);
    return r.status === 200 && r.body;
  }, { what: 'the new deal on the relay' });
  assert.equal(opp.customer, customer.id);
  assert.equal(opp.lead, lead.id);
  assert.equal(opp.owner, 'rep1');
  await eventually(async () => {
    const r = await rest(server.url, 'rep1', `/api/v1/leads/${lead.id}`);
    return r.body.status === 'converted' && r.body.opportunity === oppId;
  }, { what: 'the converted lead on the relay' });
  // No second customer with that name.
  const named = items((await rest(server.url, 'admin', '/api/v1/customers')).body).filter((c) => c.name === customer.name);
  assert.equal(named.length, 1);
  assert.deepEqual(errors, []);
  await context.close();
});
