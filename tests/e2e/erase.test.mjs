// Erasing personal data in the browser: rep1 has a contact with a phone number open on their phone; the admin
// erases the contact's personal data from its page (asked first); rep1's page loses the phone and shows who
// erased it when, after its next sync; rep1's IndexedDB and the relay's store no longer hold the number.
// rep1 never sees the action. Phone screenshots, axe on each page and on the question.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import {
  startServer, launch, openSignedIn, eventually, rest, login, axeScan, shot,
  companionId, PHONE,
} from './helpers.mjs';

const NUMBER = '+86 139 0571 2468';
const EMAIL = 'zhou.erasable@example.com';
const NAME = 'Zhou Erasable';

let server, browser;
before(async () => {
  server = await startServer();
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

const open = (user) => openSignedIn(browser, server.url, user, { viewport: PHONE });

/** Everything this page's IndexedDB ("crm") holds about `docId`, and whether `needle` is anywhere in it. */
async function deviceHolds(page, docId, needle) {
  return page.evaluate(async ({ docId, needle }) => {
    const db = await new Promise((res, rej) => {
      const r = indexedDB.open('crm');
      r.onsuccess = () => res(r.result);
      r.onerror = () => rej(r.error);
    });
    const req = (r) => new Promise((res, rej) => { r.onsuccess = () => res(r.result); r.onerror = () => rej(r.error); });
    const text = (v) => {
      if (v instanceof ArrayBuffer || ArrayBuffer.isView(v)) {
        const bytes = v instanceof ArrayBuffer ? new Uint8Array(v) : new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
        return Array.from(bytes, (b) => String.fromCharCode(b)).join('');
      }
      return typeof v === 'string' ? v : JSON.stringify(v);
    };
    const tx = db.transaction(Array.from(db.objectStoreNames), 'readonly');
    const meta = await req(tx.objectStore('meta').get(docId));
    const chunks = await req(tx.objectStore('chunks').count(IDBKeyRange.bound([docId, 0], [docId, 4294967295])));
    const where = [];
    for (const name of db.objectStoreNames) {
      const values = await req(tx.objectStore(name).getAll());
      if (values.some((v) => text(v).includes(needle))) where.push(name);
    }
    db.close();
    return { meta: meta !== undefined, chunks, where };
  }, { docId, needle });
}

test("an admin erases a contact's personal data: gone from the owner's device and the relay, the mark shown", async () => {
  const { token: repToken } = await login(server.url, 'rep1');
  const res = await fetch(`${server.url}/api/v1/contacts`, {
    method: 'POST',
    headers: { authorization: `Bearer ${repToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: NAME, title: 'Buyer', pii: { phone: NUMBER, email: EMAIL } }),
  });
  assert.equal(res.status, 201, await res.clone().text());
  const contact = await res.json();
  const pii = companionId(contact.id, 'pii');

  // rep1's phone has the number, and no erase action.
  const rep1 = await open('rep1');
  await rep1.page.goto(`${server.url}/r/${contact.id}`);
  await rep1.page.getByRole('heading', { name: NAME }).waitFor();
  const phoneField = rep1.page.getByLabel('Phone', { exact: true });
  await eventually(async () => (await phoneField.inputValue()) === NUMBER, { what: "the contact's phone on rep1's device" });
  assert.equal(await rep1.page.getByRole('button', { name: 'Erase personal data' }).count(), 0, 'only admins erase');
  const before = await deviceHolds(rep1.page, pii, '0571');
  assert.ok(before.meta && before.chunks > 0 && before.where.includes('chunks'), JSON.stringify(before));
  await shot(rep1.page, 'erase-owner-before-phone.png');

  // The admin erases it from the contact's page, answering the question.
  const admin = await open('admin');
  await admin.page.goto(`${server.url}/r/${contact.id}`);
  await admin.page.getByRole('heading', { name: NAME }).waitFor();
  await admin.page.getByLabel('Phone', { exact: true }).waitFor();
  await axeScan(admin.page, { what: 'contact page with the erase action (phone)' });
  await admin.page.getByRole('button', { name: 'Erase personal data' }).click();
  const dialog = admin.page.getByRole('alertdialog', { name: `Erase the personal data of “${NAME}”?` });
  await dialog.waitFor();
  assert.match(await dialog.textContent(), /removed from the server now and from every device at its next sync/);
  await shot(admin.page, 'erase-confirm-phone.png');
  await axeScan(admin.page, { what: 'erase question (phone)' });
  await dialog.getByRole('button', { name: 'Confirm' }).click();
  const mark = /^Personal data erased on .+ by 系统管理员 Admin$/;
  await admin.page.getByRole('note').filter({ hasText: mark }).waitFor();
  assert.equal(await admin.page.getByLabel('Phone', { exact: true }).count(), 0);
  assert.equal(await admin.page.getByRole('button', { name: 'Erase personal data' }).count(), 0, 'erased once');
  await shot(admin.page, 'erase-done-admin-phone.png');

  // rep1's page, open all along: the phone goes at its next sync, the mark takes its place.
  await rep1.page.getByRole('note').filter({ hasText: mark }).waitFor({ timeout: 20_000 });
  await eventually(async () => (await rep1.page.getByLabel('Phone', { exact: true }).count()) === 0, { what: 'the phone to leave rep1s page' });
  await eventually(async () => {
    const now = await deviceHolds(rep1.page, pii, '0571');
    return !now.meta && now.chunks === 0 && now.where.length === 0 ? now : false;
  }, { what: "the companion to leave rep1's IndexedDB", timeout: 30_000 });
  await shot(rep1.page, 'erase-owner-after-phone.png');
  await axeScan(rep1.page, { what: 'erased contact page (phone)' });
  // A reload starts from what the device stored: still no number.
  await rep1.page.reload();
  await rep1.page.getByRole('note').filter({ hasText: mark }).waitFor();
  assert.equal(await rep1.page.getByLabel('Phone', { exact: true }).count(), 0);

  // The relay: REST answers the mark and no personal data, for the owner and the admin alike.
  for (const who of ['rep1', 'admin']) {
    const r = await rest(server.url, who, `/api/v1/contacts/${contact.id}`);
    assert.equal(r.status, 200);
    assert.equal(r.body.pii, undefined, `${who}: ${JSON.stringify(r.body)}`);
    assert.equal(r.body.pii_erased?.by, 'admin');
  }
  assert.deepEqual(rep1.errors, []);
  assert.deepEqual(admin.errors, []);
  await rep1.context.close();
  await admin.context.close();

  // The relay's store, once it has stopped: the contact's name is there, the erased values are not.
  await server.stop({ keepData: true });
  const bytes = ['crm.sqlite3', 'crm.sqlite3-wal']
    .map((f) => join(server.data, f))
    .filter(existsSync)
    .map((f) => readFileSync(f).toString('latin1'))
    .join('');
  assert.ok(bytes.includes(NAME), 'the scan sees plain strings in the store');
  assert.ok(!bytes.includes(NUMBER) && !bytes.includes(EMAIL), "the erased values are gone from the relay's store");
  rmSync(server.data, { recursive: true, force: true });
});
