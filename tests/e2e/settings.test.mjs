// Settings → custom fields: the admin defines a text field on opportunities from the settings page (a bad
// or taken key first: a message at the field, nothing defined); rep1 then sees the field on a deal after
// sync and fills it in; rep1 has no settings entry and the page says "not allowed"; the admin removes the
// field and rep1 stops seeing it while the value stays in the record's document.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer, launch, newContext, signIn, waitUpToDate, eventually, rest, items, watchErrors, shot, login,
  PHONE, DESKTOP,
} from './helpers.mjs';
import { Repo } from '@automerge/automerge-repo';
import { WebSocketClientAdapter } from '@automerge/automerge-repo-network-websocket';

let server, browser, repo, dirHandle;
before(async () => {
  server = await startServer();
  browser = await launch();
  // A stock automerge-repo peer signed in as the admin reads the relay's copy of the directory.
  const { token, directory_doc } = await login(server.url, 'admin');
  repo = new Repo({ network: [new WebSocketClientAdapter(`${server.url.replace('http', 'ws')}/sync?token=${token}`, 60000)] });
  dirHandle = await repo.find(directory_doc);
});
after(async () => {
  await repo?.shutdown?.();
  await browser?.close();
  await server?.stop();
});

const relayFields = () => (dirHandle.doc()?.custom_fields ?? []).map((f) => String(f.id));

test('the admin defines a custom field; rep1 sees and edits it; bad keys define nothing; removing hides it', async () => {
  assert.deepEqual(relayFields(), [], 'the demo company starts without custom fields');

  // --- the admin, on a desktop (the settings entry is in the sidebar) ---
  const actx = await newContext(browser, { viewport: DESKTOP });
  const apage = await actx.newPage();
  const aerrors = watchErrors(apage);
  await signIn(apage, server.url, 'admin');
  await waitUpToDate(apage, 30_000);
  const nav = apage.getByRole('navigation', { name: 'Main navigation' });
  await nav.getByRole('link', { name: 'Settings' }).click();
  await apage.waitForURL((u) => u.pathname === '/settings/fields');
  await apage.getByRole('heading', { level: 1, name: 'Custom fields' }).waitFor();
  await apage.getByText('Values already entered stay in the records\' documents but are no longer shown').waitFor();
  const form = apage.getByRole('form', { name: 'New custom field' });
  await form.getByRole('combobox', { name: 'Record kind' }).selectOption('opportunity');
  const key = form.getByRole('textbox', { name: 'Key' });
  const label = form.getByRole('textbox', { name: 'Label' });
  const addButton = form.getByRole('button', { name: 'Add field' });

  // A bad key: the message is at the key, nothing is defined.
  await key.fill('Contract No');
  await label.fill('Contract number');
  await addButton.click();
  await form.getByRole('alert').filter({ hasText: 'Nothing was saved' }).waitFor();
  await form.getByText('Use lowercase letters, digits and _').waitFor();
  assert.equal(await key.getAttribute('aria-invalid'), 'true');
  assert.equal(await label.getAttribute('aria-invalid'), 'false');
  const oppSection = apage.getByRole('region', { name: 'Opportunities' });
  await oppSection.getByText('No custom fields.').waitFor();

  // A good one: text, on opportunities.
  await key.fill('contract_no');
  await form.getByRole('combobox', { name: 'Type' }).selectOption('text');
  await addButton.click();
  await form.getByRole('status').filter({ hasText: 'Field added.' }).waitFor();
  await oppSection.getByText('Contract number').waitFor();
  assert.equal(await key.inputValue(), '', 'the form is cleared for the next field');

  // The same key again (even on another kind) is refused at the field.
  await form.getByRole('combobox', { name: 'Record kind' }).selectOption('customer');
  await key.fill('contract_no');
  await label.fill('Contract again');
  await addButton.click();
  await form.getByText('This key is already used').waitFor();
  assert.equal(await key.getAttribute('aria-invalid'), 'true');

  await eventually(() => relayFields().includes('contract_no'), { what: 'the field on the relay', timeout: 30_000 });
  const defs = dirHandle.doc().custom_fields;
  assert.equal(defs.length, 1, 'only the good definition reached the relay');
  assert.equal(String(defs[0].kind), 'Opportunity');
  assert.equal(String(defs[0].label), 'Contract number');
  assert.equal(String(defs[0].field_type), 'Text');
  assert.equal(defs[0].required, false);

  // The page on a phone, looked at.
  await apage.setViewportSize(PHONE);
  await apage.reload();
  await apage.getByRole('region', { name: 'Opportunities' }).getByText('Contract number').waitFor();
  await apage.getByRole('region', { name: 'Opportunities' }).scrollIntoViewIfNeeded();
  await shot(apage, 'settings-fields-phone.png');
  await apage.setViewportSize(DESKTOP);

  // --- rep1: no settings entry, "not allowed" when opened directly; sees and edits the field ---
  const opp = items((await rest(server.url, 'rep1', '/api/v1/opportunities')).body)
    .find((o) => o.owner === 'rep1' && o.status === 'active');
  assert.ok(opp, 'rep1 has an active deal');
  const rctx = await newContext(browser, { viewport: DESKTOP });
  const rpage = await rctx.newPage();
  const rerrors = watchErrors(rpage);
  await signIn(rpage, server.url, 'rep1');
  await waitUpToDate(rpage, 30_000);
  const rnav = rpage.getByRole('navigation', { name: 'Main navigation' });
  await rnav.getByRole('link', { name: 'Exports' }).waitFor();
  assert.equal(await rnav.getByRole('link', { name: 'Settings' }).count(), 0, 'rep1 has no settings entry');
  await rpage.goto(`${server.url}/settings/fields`);
  await rpage.getByText('Not allowed: only admins may define custom fields.').waitFor();
  assert.equal(await rpage.getByRole('form', { name: 'New custom field' }).count(), 0);

  await rpage.goto(`${server.url}/r/${opp.id}`);
  await rpage.getByRole('heading', { level: 1, name: opp.name, exact: true }).waitFor();
  const field = rpage.getByRole('textbox', { name: 'Contract number' });
  await field.waitFor({ timeout: 20_000 });
  await field.fill('C-2026-001');
  await field.press('Enter');
  await eventually(async () => {
    const r = await rest(server.url, 'rep1', `/api/v1/opportunities/${opp.id}`);
    return r.body.custom?.contract_no?.value === 'C-2026-001';
  }, { what: 'the custom value on the relay', timeout: 30_000 });

  // --- the admin removes the field: rep1 stops seeing it (live), the value stays in the document ---
  await apage.getByRole('button', { name: 'Remove Contract number' }).click();
  await apage.getByRole('region', { name: 'Opportunities' }).getByText('No custom fields.').waitFor();
  await eventually(() => !relayFields().includes('contract_no'), { what: 'the removal on the relay', timeout: 30_000 });
  await rpage.getByRole('textbox', { name: 'Contract number' }).waitFor({ state: 'detached', timeout: 30_000 });
  const r = await rest(server.url, 'rep1', `/api/v1/opportunities/${opp.id}`);
  assert.equal(r.body.custom?.contract_no?.value, 'C-2026-001', 'the value stays in the record');

  // A choice needs options: none is refused at the options field; a list defines it.
  await form.getByRole('combobox', { name: 'Record kind' }).selectOption('customer');
  await key.fill('segment');
  await label.fill('Segment');
  await form.getByRole('combobox', { name: 'Type' }).selectOption('choice');
  const optionsBox = form.getByRole('textbox', { name: 'Options (comma-separated)' });
  await optionsBox.fill(' , ');
  await addButton.click();
  await form.getByText('List at least one option').waitFor();
  assert.equal(await optionsBox.getAttribute('aria-invalid'), 'true');
  await optionsBox.fill('retail, wholesale');
  await form.getByRole('checkbox', { name: 'Required' }).check();
  await addButton.click();
  await apage.getByRole('region', { name: 'Customers' }).getByText('Choice: retail, wholesale · required').waitFor();
  const segment = await eventually(() => dirHandle.doc().custom_fields.find((f) => String(f.id) === 'segment'), {
    what: 'the choice field on the relay', timeout: 30_000,
  });
  assert.deepEqual(segment.field_type.Choice.options.map(String), ['retail', 'wholesale']);
  assert.equal(String(segment.kind), 'Customer');
  assert.equal(segment.required, true);

  assert.deepEqual(aerrors, []);
  assert.deepEqual(rerrors, []);
  await actx.close();
  await rctx.close();
});
