// rep1 and their manager on the same deal: an edit in one shows in the other without a reload, both
// see each other's presence, and both typing in the notes at once keeps both texts.
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

test('two people on one deal see each other live and both notes survive', async () => {
  const { body } = await rest(server.url, 'rep1', '/api/v1/opportunities');
  const deal = items(body).find((o) => o.status === 'active' && o.owner === 'rep1');
  assert.ok(deal, 'rep1 has an active deal in the demo data');

  const ctxA = await newContext(browser);
  const ctxB = await newContext(browser);
  const a = await ctxA.newPage();
  const b = await ctxB.newPage();
  const errors = [...watchErrors(a), ...watchErrors(b)];
  await signIn(a, server.url, 'rep1');
  await signIn(b, server.url, 'manager');
  await waitUpToDate(a);
  await waitUpToDate(b);
  for (const p of [a, b]) {
    await p.goto(`${server.url}/r/${deal.id}`);
    await p.getByRole('heading', { level: 1, name: deal.name }).waitFor();
  }

  // Presence: each sees the other on the record.
  await b.getByRole('list', { name: 'Also here' }).getByRole('listitem', { name: /Zhang Wei/ }).waitFor({ timeout: 15_000 });
  await a.getByRole('list', { name: 'Also here' }).getByRole('listitem').first().waitFor({ timeout: 15_000 });

  // A field edit in one appears in the other (no reload).
  const renamed = `${deal.name} (renewal)`;
  const nameA = a.getByRole('textbox', { name: 'Name', exact: true });
  await nameA.fill(renamed);
  await nameA.press('Enter');
  await b.getByRole('heading', { level: 1, name: renamed }).waitFor({ timeout: 15_000 });

  // Both type in the notes at the same time.
  const notesA = a.getByRole('textbox', { name: 'Notes' });
  const notesB = b.getByRole('textbox', { name: 'Notes' });
  await notesA.click();
  await notesB.click();
  await notesA.press('Control+End');
  await notesB.press('Control+End');
  const fromA = ' alpha typed by rep1';
  const fromB = ' bravo typed by manager';
  await Promise.all([notesA.pressSequentially(fromA, { delay: 25 }), notesB.pressSequentially(fromB, { delay: 25 })]);

  for (const [who, notes] of [['rep1', notesA], ['manager', notesB]]) {
    let seen = '';
    await eventually(async () => {
      seen = await notes.inputValue();
      return seen.includes(fromA) && seen.includes(fromB);
    }, { what: `${who}'s notes to hold both texts`, timeout: 20_000 }).catch(async (e) => {
      const relay = await rest(server.url, 'manager', `/api/v1/opportunities/${deal.id}`);
      throw new Error(`${e.message}; ${who} sees ${JSON.stringify(seen)}; rep1 ${JSON.stringify(await notesA.inputValue())}; manager ${JSON.stringify(await notesB.inputValue())}; relay ${JSON.stringify(relay.body.notes)}; badges ${await a.locator('.sync').innerText()} / ${await b.locator('.sync').innerText()}; notices ${await a.locator('.notices').innerText()} / ${await b.locator('.notices').innerText()}`);
    });
  }
  assert.equal(await notesA.inputValue(), await notesB.inputValue());

  // And the relay has both.
  await eventually(async () => {
    const r = await rest(server.url, 'manager', `/api/v1/opportunities/${deal.id}`);
    return r.status === 200 && r.body.name === renamed && r.body.notes.includes(fromA) && r.body.notes.includes(fromB);
  }, { what: 'the relay to hold the rename and both notes' });
  assert.deepEqual(errors, []);
  await ctxA.close();
  await ctxB.close();
});
