// rep1 moves a deal to the next stage (with the keyboard/touch "Move to…" select, then by dragging),
// reloads: the card is still there, and the relay has it (REST).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launch, newContext, signIn, waitUpToDate, eventually, rest, watchErrors } from './helpers.mjs';

let server, browser;
before(async () => {
  server = await startServer();
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

const column = (page, name) => page.getByRole('region', { name, exact: true });

async function firstDealIn(page, stageName) {
  const link = column(page, stageName).getByRole('link').first();
  await link.waitFor();
  const href = await link.getAttribute('href');
  return { id: href.split('/').pop(), name: (await link.textContent()).trim() };
}

test('rep1 moves a deal to the next stage; it survives a reload and reaches the relay', async () => {
  const context = await newContext(browser);
  const page = await context.newPage();
  const errors = watchErrors(page);
  await signIn(page, server.url, 'rep1');
  await page.getByRole('link', { name: 'Pipeline' }).click();
  await waitUpToDate(page);

  const deal = await firstDealIn(page, 'Initial contact');
  await column(page, 'Initial contact').getByRole('combobox', { name: `Move to… ${deal.name}` }).selectOption({ label: 'Needs confirmed' });
  await column(page, 'Needs confirmed').getByRole('link', { name: deal.name }).waitFor();
  await waitUpToDate(page);

  await page.reload();
  await column(page, 'Needs confirmed').getByRole('link', { name: deal.name }).waitFor();
  assert.equal(await column(page, 'Initial contact').getByRole('link', { name: deal.name }).count(), 0);

  const onRelay = await eventually(async () => {
    const r = await rest(server.url, 'rep1', `/api/v1/opportunities/${deal.id}`);
    return r.status === 200 && r.body.stage === 'needs' && r.body;
  }, { what: 'the relay to have the new stage' });
  assert.equal(onRelay.stage_history.at(-1).stage, 'needs');
  assert.equal(onRelay.stage_history.at(-1).by, 'rep1');

  // Drag and drop: the same deal on to the next column.
  const card = column(page, 'Needs confirmed').getByRole('listitem').filter({ has: page.getByRole('link', { name: deal.name }) });
  // Grabbed by its edge, as a person does (its middle may be the "Move to…" select, which takes the press).
  await card.dragTo(column(page, 'Proposal / quote'), { sourcePosition: { x: 6, y: 6 } });
  await column(page, 'Proposal / quote').getByRole('link', { name: deal.name }).waitFor();
  await eventually(async () => {
    const r = await rest(server.url, 'rep1', `/api/v1/opportunities/${deal.id}`);
    return r.status === 200 && r.body.stage === 'proposal';
  }, { what: 'the dragged stage on the relay' });
  assert.deepEqual(errors, []);
  await context.close();
});
