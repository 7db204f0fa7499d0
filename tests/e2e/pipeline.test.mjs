// Settings → Pipeline (issue 11): the admin renames a stage and rep1, on their open board, sees the new name
// live; removing a stage that has deals is refused with the stage and the count, and nothing is saved; a new
// stage added by the admin appears on rep1's board in its place.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer, launch, newContext, signIn, waitUpToDate, watchErrors, axeScan, shot, login, PHONE, DESKTOP,
} from './helpers.mjs';
import { Repo } from '@automerge/automerge-repo';
import { WebSocketClientAdapter } from '@automerge/automerge-repo-network-websocket';

let server, browser, repo, dirHandle;
before(async () => {
  server = await startServer();
  browser = await launch();
  const { token, directory_doc } = await login(server.url, 'admin');
  repo = new Repo({ network: [new WebSocketClientAdapter(`${server.url.replace('http', 'ws')}/sync?token=${token}`, 60000)] });
  dirHandle = await repo.find(directory_doc);
});
after(async () => {
  await repo?.shutdown?.();
  await browser?.close();
  await server?.stop();
});

const column = (page, name) => page.getByRole('region', { name, exact: true });
const relayStages = () => (dirHandle.doc()?.stages ?? []).map((s) => String(s.name_en));

test('a stage renamed by the admin is seen live on rep1\'s board; a stage with deals cannot be removed', async () => {
  // rep1's board, open on a phone the whole time.
  const rctx = await newContext(browser, { viewport: PHONE });
  const rep = await rctx.newPage();
  const rerrors = watchErrors(rep);
  await signIn(rep, server.url, 'rep1');
  await waitUpToDate(rep, 30_000);
  await rep.goto(server.url + '/board');
  await column(rep, 'Needs confirmed').waitFor();

  const actx = await newContext(browser, { viewport: DESKTOP });
  const admin = await actx.newPage();
  const aerrors = watchErrors(admin);
  await signIn(admin, server.url, 'admin');
  await waitUpToDate(admin, 30_000);
  await admin.getByRole('navigation', { name: 'Main navigation' }).getByRole('link', { name: 'Settings' }).click();
  await admin.getByRole('navigation', { name: 'Settings' }).getByRole('link', { name: 'Pipeline stages' }).click();
  await admin.waitForURL((u) => u.pathname === '/settings/pipeline');
  const form = admin.getByRole('form', { name: 'Pipeline stages' });
  await form.getByRole('textbox', { name: 'Name (English)' }).nth(1).waitFor();
  await axeScan(admin, { what: 'settings → pipeline' });
  await admin.setViewportSize(PHONE);
  await shot(admin, 'pipeline-settings-phone');
  await admin.setViewportSize(DESKTOP);
  await shot(admin, 'pipeline-settings-desktop');

  // Removing "Proposal / quote" (demo deals are in it): refused, nothing saved.
  await form.getByRole('button', { name: 'Remove (Proposal / quote)' }).click();
  await form.getByRole('button', { name: 'Save' }).click();
  const alert = form.getByRole('alert');
  await alert.getByText(/“Proposal \/ quote” still has \d+ deals: move them to another stage before removing it\./).waitFor();
  await admin.setViewportSize(PHONE);
  await shot(admin, 'pipeline-refused-phone');
  await admin.setViewportSize(DESKTOP);
  assert.ok(relayStages().includes('Proposal / quote'), 'the stage is still on the relay');
  await admin.reload();
  await form.getByRole('textbox', { name: 'Name (English)' }).nth(1).waitFor();

  // Rename "Needs confirmed", and add a stage before "Negotiation" by moving it up.
  const english = form.getByRole('textbox', { name: 'Name (English)' });
  assert.equal(await english.nth(1).inputValue(), 'Needs confirmed');
  await english.nth(1).fill('Needs agreed');
  await form.getByRole('button', { name: 'Add stage' }).click();
  const added = english.nth(4);
  assert.equal(await added.inputValue(), 'New stage', 'a new stage goes before the winning one');
  await added.fill('Site visit');
  await form.getByRole('textbox', { name: 'Name (Chinese)' }).nth(4).fill('实地考察');
  await form.getByRole('button', { name: 'Move up (Site visit)' }).click();
  await form.getByRole('button', { name: 'Save' }).click();
  await form.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();

  // rep1's board follows, without a reload.
  await column(rep, 'Needs agreed').waitFor({ timeout: 20_000 });
  await column(rep, 'Site visit').waitFor();
  assert.equal(await column(rep, 'Needs confirmed').count(), 0);
  // The columns stand in the new order (left to right).
  const names = ['Initial contact', 'Needs agreed', 'Proposal / quote', 'Site visit', 'Negotiation'];
  const xs = [];
  for (const n of names) xs.push((await column(rep, n).boundingBox()).x);
  assert.deepEqual([...xs].sort((a, b) => a - b), xs, `columns left to right: ${names.join(', ')}: ${xs}`);
  await shot(rep, 'pipeline-board-phone');
  assert.deepEqual(relayStages().slice(0, 4), ['Initial contact', 'Needs agreed', 'Proposal / quote', 'Site visit']);
  assert.deepEqual(aerrors, []);
  assert.deepEqual(rerrors, []);
  await actx.close();
  await rctx.close();
});
