// Creating records and reassigning them, as a sales team does: rep1 creates a customer and a deal for it
// on a phone (bad input first: nothing is created), the relay has both; rep1 may not reassign; the
// manager hands one of rep1's deals to rep2, and rep2 then has it (rep1 still sees it while they
// maintain its customer: "own" includes deals of one's customers).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer, launch, newContext, signIn, waitUpToDate, syncBadge, eventually, rest, items, watchErrors, PHONE,
  login,
} from './helpers.mjs';
import { navTo } from './helpers.mjs';
import { Repo, ImmutableString } from '@automerge/automerge-repo';
import { WebSocketClientAdapter } from '@automerge/automerge-repo-network-websocket';

let server, browser;
before(async () => {
  server = await startServer();
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

const customersOf = async (user) => items((await rest(server.url, user, '/api/v1/customers')).body);

test('rep1 creates a customer and a deal for it; empty or bad input creates nothing', async () => {
  const before = await customersOf('admin');
  const context = await newContext(browser, { viewport: PHONE });
  const page = await context.newPage();
  const errors = watchErrors(page);
  await signIn(page, server.url, 'rep1');
  await waitUpToDate(page);

  await page.getByRole('navigation', { name: 'Main navigation' }).getByRole('link', { name: 'Customers' }).click();
  const newCustomer = page.getByRole('link', { name: 'New customer' });
  await newCustomer.click();
  await page.waitForURL((u) => u.pathname === '/new/customer');
  const form = page.getByRole('form', { name: 'New customer' });
  await form.waitFor();

  // Touch targets: every control of the form is at least 44 px tall on a phone.
  for (const control of await form.locator('input, select, button, a').all()) {
    const box = await control.boundingBox();
    assert.ok(box && box.height >= 44, `control too small: ${await control.evaluate((e) => e.outerHTML.slice(0, 80))}`);
  }

  // Empty name: a message on the field, nothing saved, still on the form.
  await form.getByRole('button', { name: 'Create' }).click();
  await form.getByRole('alert').filter({ hasText: 'Nothing was saved' }).waitFor();
  const name = form.getByRole('textbox', { name: 'Name', exact: true });
  assert.equal(await name.getAttribute('aria-invalid'), 'true');
  await form.getByText('Enter a name.').waitFor();
  assert.equal(new URL(page.url()).pathname, '/new/customer');

  // The maintainer defaults to rep1, who may not give it to anyone else.
  const maintainer = form.getByRole('combobox', { name: 'Maintainer' });
  assert.equal(await maintainer.inputValue(), 'rep1');
  assert.deepEqual(await maintainer.locator('option').evaluateAll((os) => os.map((o) => o.value)), ['rep1']);

  const customerName = `Created Co ${Date.now()}`;
  await name.fill(customerName);
  await form.getByRole('textbox', { name: 'Industry' }).fill('Robotics');
  await form.getByRole('combobox', { name: 'Tier' }).selectOption('key');
  await form.getByRole('button', { name: 'Create' }).click();
  await page.waitForURL((u) => u.pathname.startsWith('/r/'));
  const customerId = new URL(page.url()).pathname.split('/').pop();
  await page.getByRole('heading', { level: 1, name: customerName }).waitFor();

  // From the customer 360 page: a new deal for this customer.
  await page.getByRole('link', { name: 'New opportunity' }).click();
  await page.waitForURL((u) => u.pathname === '/new/opportunity' && u.search.includes(customerId));
  const oppForm = page.getByRole('form', { name: 'New opportunity' });
  assert.equal(await oppForm.getByRole('combobox', { name: 'Customer' }).inputValue(), customerId);
  const stage = oppForm.getByRole('combobox', { name: 'Stage' });
  const stages = await stage.locator('option').evaluateAll((os) => os.map((o) => o.value));
  assert.ok(stages.length >= 3, 'the directory stages are offered');
  assert.equal(await stage.inputValue(), stages[0]);
  const dealName = `Created deal ${Date.now()}`;
  await oppForm.getByRole('textbox', { name: 'Name', exact: true }).fill(dealName);
  const amount = oppForm.getByRole('textbox', { name: 'Amount (CNY)' });
  await amount.fill('-5');
  await oppForm.getByRole('button', { name: 'Create' }).click();
  await oppForm.getByText('Enter an amount of 0 or more').waitFor();
  assert.equal(await amount.getAttribute('aria-invalid'), 'true');
  assert.equal(new URL(page.url()).pathname, '/new/opportunity');

  await amount.fill('12,500');
  await stage.selectOption(stages[1]);
  await oppForm.getByLabel('Expected close').fill('2027-03-31');
  await oppForm.getByRole('button', { name: 'Create' }).click();
  await page.waitForURL((u) => u.pathname.startsWith('/r/') && !u.pathname.endsWith(customerId));
  const oppId = new URL(page.url()).pathname.split('/').pop();
  await page.getByRole('heading', { level: 1, name: dealName }).waitFor();
  await page.getByRole('link', { name: customerName }).waitFor();
  assert.equal(await page.getByRole('textbox', { name: 'Amount (CNY)' }).inputValue(), '12500.00');
  // A rep sees the owner but cannot change it.
  assert.equal(await page.getByRole('combobox', { name: 'Owner' }).count(), 0);

  // The list has the new customer.
  await page.goto(`${server.url}/customers`);
  await page.getByRole('searchbox', { name: 'Search Customers' }).fill(customerName);
  await page.getByRole('link', { name: new RegExp(customerName) }).waitFor();

  // The relay has both, owned by rep1, the deal with its amount and stage.
  await waitUpToDate(page, 30_000);
  const customer = await eventually(async () => (await customersOf('rep1')).find((c) => c.id === customerId), {
    what: 'the new customer on the relay',
  });
  assert.equal(customer.name, customerName);
  assert.equal(customer.owner, 'rep1');
  assert.equal(customer.industry, 'Robotics');
  assert.equal(customer.tier, 'key');
  const opp = await eventually(async () => {
    const r = await rest(server.url, 'rep1', `/api/v1/opportunities/${oppId}`);
    return r.status === 200 && r.body.money && r.body;
  }, { what: 'the new deal and its amount on the relay' });
  assert.equal(opp.name, dealName);
  assert.equal(opp.owner, 'rep1');
  assert.equal(opp.customer, customerId);
  assert.equal(opp.stage, stages[1]);
  assert.equal(opp.money.expected_amount.amount_minor, 1_250_000);
  // Only the one customer was created (the empty attempt made nothing).
  assert.equal((await customersOf('admin')).length, before.length + 1);
  assert.deepEqual(errors, []);
  await context.close();
});

test('the manager reassigns a deal of rep1 to rep2 and rep2 has it', async () => {
  const opp = items((await rest(server.url, 'rep1', '/api/v1/opportunities')).body)
    .find((o) => o.owner === 'rep1' && o.status === 'active');
  assert.ok(opp, 'rep1 has an active deal');

  const mctx = await newContext(browser);
  const mpage = await mctx.newPage();
  const errors = watchErrors(mpage);
  await signIn(mpage, server.url, 'manager');
  await waitUpToDate(mpage, 30_000);
  await mpage.goto(`${server.url}/r/${opp.id}`);
  await mpage.getByRole('heading', { level: 1, name: opp.name, exact: true }).waitFor();
  const owner = mpage.getByRole('combobox', { name: 'Owner' });
  assert.equal(await owner.inputValue(), 'rep1');
  const choices = await owner.locator('option').evaluateAll((os) => os.map((o) => o.value));
  assert.ok(choices.includes('rep2') && choices.includes('manager'), `team members offered: ${choices}`);
  assert.ok(!choices.includes('rep3'), 'rep3 is in another team');
  await owner.selectOption('rep2');
  // Handing a deal over asks first.
  const ask = mpage.getByRole('alertdialog', { name: new RegExp(`Hand “${opp.name}” to`) });
  await ask.getByRole('button', { name: 'Confirm' }).click();
  await ask.waitFor({ state: 'detached' });

  await eventually(async () => (await rest(server.url, 'admin', `/api/v1/opportunities/${opp.id}`)).body.owner === 'rep2', {
    what: 'the relay to have the new owner',
  });
  assert.equal((await rest(server.url, 'rep2', `/api/v1/opportunities/${opp.id}`)).status, 200);
  assert.equal((await rest(server.url, 'rep3', `/api/v1/opportunities/${opp.id}`)).status, 404);

  const rctx = await newContext(browser, { viewport: PHONE });
  const rpage = await rctx.newPage();
  await signIn(rpage, server.url, 'rep2');
  await waitUpToDate(rpage, 30_000);
  await rpage.goto(`${server.url}/opportunities`);
  await rpage.getByRole('searchbox', { name: 'Search Opportunities' }).fill(opp.name);
  await rpage.getByRole('link', { name: new RegExp(opp.name) }).first().click();
  await rpage.getByRole('heading', { level: 1, name: opp.name, exact: true }).waitFor();
  // rep2 owns it now but may not pass it on.
  assert.equal(await rpage.getByRole('combobox', { name: 'Owner' }).count(), 0);
  assert.deepEqual(errors, []);
  await mctx.close();
  await rctx.close();
});

test('offline, rep1 creates a lead with phone and email; it reaches the relay once online', { todo: "flaky since the relationship merges (about 1 run in 3): a Leptos panic 'Tried to access a reactive value that has already been disposed' from a JS callback during this flow (phone: More → Leads, offline create, lead page with the new Activities card, back online); cause not found yet, see the session 4 closing note" }, async () => {
  const context = await newContext(browser, { viewport: PHONE });
  const page = await context.newPage();
  const errors = watchErrors(page);
  await signIn(page, server.url, 'rep1');
  await waitUpToDate(page);
  await navTo(page, 'Leads'); // behind "More" on a phone
  await context.setOffline(true);
  await syncBadge(page).filter({ hasText: 'Offline' }).waitFor({ timeout: 15_000 });

  await page.getByRole('link', { name: 'New lead' }).click();
  const form = page.getByRole('form', { name: 'New lead' });
  const leadName = `Offline lead ${Date.now()}`;
  await form.getByRole('textbox', { name: 'Name', exact: true }).fill(leadName);
  await form.getByRole('textbox', { name: 'Company' }).fill('Harbour Tools');
  const phone = form.getByRole('textbox', { name: 'Phone' });
  const email = form.getByRole('textbox', { name: 'Email' });
  await phone.fill('call me');
  await email.fill('li@harbour');
  await form.getByRole('button', { name: 'Create' }).click();
  await form.getByText('Enter a phone number').waitFor();
  await form.getByText('Enter an email address').waitFor();
  assert.equal(new URL(page.url()).pathname, '/new/lead');

  await phone.fill('+86 138 0000 1234');
  await email.fill('li@harbour.example');
  await form.getByRole('button', { name: 'Create' }).click();
  await page.waitForURL((u) => u.pathname.startsWith('/r/'));
  const leadId = new URL(page.url()).pathname.split('/').pop();
  await page.getByRole('heading', { level: 1, name: leadName }).waitFor();
  assert.equal(await page.getByRole('textbox', { name: 'Phone' }).inputValue(), '+86 138 0000 1234');
  assert.equal((await rest(server.url, 'rep1', `/api/v1/leads/${leadId}`)).status, 404, 'not on the relay while offline');

  await context.setOffline(false);
  await waitUpToDate(page, 30_000);
  const lead = await eventually(async () => {
    const r = await rest(server.url, 'rep1', `/api/v1/leads/${leadId}`);
    return r.status === 200 && r.body.pii && r.body;
  }, { what: 'the lead and its contact details on the relay' });
  assert.equal(lead.name, leadName);
  assert.equal(lead.owner, 'rep1');
  assert.equal(lead.company, 'Harbour Tools');
  assert.deepEqual(lead.pii, { phone: '+86 138 0000 1234', email: 'li@harbour.example' });
  assert.deepEqual(errors, []);
  await context.close();
});

test('marketing may create leads but is not offered contact details or deals', async () => {
  const context = await newContext(browser);
  const page = await context.newPage();
  await signIn(page, server.url, 'marketing');
  await waitUpToDate(page, 30_000);
  await page.goto(`${server.url}/leads`);
  await page.getByRole('link', { name: 'New lead' }).click();
  const form = page.getByRole('form', { name: 'New lead' });
  await form.waitFor();
  assert.equal(await form.getByRole('textbox', { name: 'Phone' }).count(), 0);
  const owners = await form.getByRole('combobox', { name: 'Owner' }).locator('option').evaluateAll((os) => os.map((o) => o.value));
  assert.deepEqual(owners.sort(), ['', 'marketing'], 'themselves or the unassigned pool');
  await form.getByRole('combobox', { name: 'Owner' }).selectOption('');
  const leadName = `Pool lead ${Date.now()}`;
  await form.getByRole('textbox', { name: 'Name', exact: true }).fill(leadName);
  await form.getByRole('button', { name: 'Create' }).click();
  await page.waitForURL((u) => u.pathname.startsWith('/r/'));
  const leadId = new URL(page.url()).pathname.split('/').pop();
  await waitUpToDate(page, 30_000);
  const lead = await eventually(async () => {
    const r = await rest(server.url, 'admin', `/api/v1/leads/${leadId}`);
    return r.status === 200 && r.body;
  }, { what: 'the pool lead on the relay' });
  assert.equal(lead.owner ?? null, null);
  assert.equal(lead.pii, undefined, 'no contact details were written');
  // No "New opportunity" for a role that only reads deals.
  await page.goto(`${server.url}/opportunities`);
  await page.getByRole('heading', { level: 1, name: 'Opportunities' }).waitFor();
  assert.equal(await page.getByRole('link', { name: 'New opportunity' }).count(), 0);
  await context.close();
});

test('custom fields defined by an admin are offered in the form and edited on the record page', async () => {
  // The admin defines two fields for opportunities in the directory, with a stock automerge-repo peer.
  const { token, directory_doc } = await login(server.url, 'admin');
  const repo = new Repo({ network: [new WebSocketClientAdapter(`${server.url.replace('http', 'ws')}/sync?token=${token}`, 60000)] });
  const dir = await repo.find(directory_doc);
  const s = (t) => new ImmutableString(t);
  dir.change((d) => {
    d.custom_fields.push({ id: s('seats'), kind: s('Opportunity'), label: s('Seats'), field_type: s('Number'), required: false });
    d.custom_fields.push({
      id: s('channel'), kind: s('Opportunity'), label: s('Channel'), field_type: { Choice: { options: [s('direct'), s('partner')] } }, required: false,
    });
  });
  const opp = items((await rest(server.url, 'rep1', '/api/v1/opportunities')).body).find((o) => o.owner === 'rep1' && o.status === 'active');

  const context = await newContext(browser, { viewport: PHONE });
  const page = await context.newPage();
  const errors = watchErrors(page);
  await signIn(page, server.url, 'rep1');
  await waitUpToDate(page, 30_000);
  await page.goto(`${server.url}/r/${opp.id}`);
  await page.getByRole('heading', { level: 1, name: opp.name, exact: true }).waitFor();
  const seats = page.getByRole('textbox', { name: 'Seats' });
  await seats.waitFor({ timeout: 20_000 });
  await seats.fill('12');
  await seats.press('Enter');
  await page.getByRole('combobox', { name: 'Channel' }).selectOption('partner');
  await eventually(async () => {
    const r = await rest(server.url, 'rep1', `/api/v1/opportunities/${opp.id}`);
    return r.body.custom?.seats?.value === 12 && r.body.custom?.channel?.value === 'partner';
  }, { what: 'the custom values on the relay', timeout: 30_000 });

  // The new-deal form checks the custom number too.
  await page.goto(`${server.url}/new/opportunity`);
  const form = page.getByRole('form', { name: 'New opportunity' });
  await form.getByRole('textbox', { name: 'Name', exact: true }).fill(`Custom deal ${Date.now()}`);
  await form.getByRole('textbox', { name: 'Seats' }).fill('many');
  await form.getByRole('button', { name: 'Create' }).click();
  await form.getByText('Enter a number.').waitFor();
  await form.getByRole('textbox', { name: 'Seats' }).fill('30');
  await form.getByRole('button', { name: 'Create' }).click();
  await page.waitForURL((u) => u.pathname.startsWith('/r/'));
  const id = new URL(page.url()).pathname.split('/').pop();
  await eventually(async () => (await rest(server.url, 'rep1', `/api/v1/opportunities/${id}`)).body.custom?.seats?.value === 30, {
    what: 'the new deal with its custom value on the relay', timeout: 30_000,
  });
  assert.deepEqual(errors, []);
  await context.close();
  await repo.shutdown?.();
});
