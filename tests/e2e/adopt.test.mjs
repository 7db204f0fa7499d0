// A team adopts the CRM without curl (issue 11): a relay started without the demo company prints a
// one-time password for `admin`; the admin signs in with it in the browser and is made to choose their own;
// on the People page the admin adds a team and a person, whose one-time password is shown once; that person
// signs in with it, chooses their own, and can sign in with the new one; the audit log shows what happened,
// filtered by person and action, and downloads the same selection as CSV.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import {
  startServer, launch, newContext, waitUpToDate, eventually, watchErrors, axeScan, shot, login, PHONE, DESKTOP,
} from './helpers.mjs';

let server, browser;
before(async () => {
  server = await startServer({ demo: false });
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

/** The one-time password the relay printed at its first start. */
async function printedPassword() {
  const m = await eventually(() => server.stdout().match(/one-time setup password: (\S+)/), {
    what: 'the first-run message',
    timeout: 30_000,
  });
  return m[1];
}

/** Fills the sign-in form (no waiting: the caller knows what comes next). */
async function submitSignIn(page, username, password) {
  await page.getByLabel('Username').fill(username);
  await field(page, 'Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/** A password field by its label (required fields add a " *" the label text carries). */
const field = (page, label) => page.getByLabel(new RegExp(`^${label}( \\*)?$`));

/** The forced step after a one-time password: choose one's own, then the app opens. */
async function chooseOwnPassword(page, password, name) {
  await page.getByRole('heading', { level: 1, name: 'Choose your password' }).waitFor();
  await page.getByText('You signed in with a one-time password').waitFor();
  // The one-time password is not asked again.
  assert.equal(await field(page, 'Current password').count(), 0);
  await axeScan(page, { what: `set password (${name})` });
  // Too short: refused at the field, nothing sent.
  await field(page, 'New password').fill('short');
  await field(page, 'New password again').fill('short');
  await page.getByRole('button', { name: 'Set password' }).click();
  const newField = field(page, 'New password');
  await eventually(async () => (await newField.getAttribute('aria-invalid')) === 'true', { what: 'the short password refused' });
  await field(page, 'New password').fill(password);
  await field(page, 'New password again').fill(password);
  await page.getByRole('button', { name: 'Set password' }).click();
  await page.getByRole('navigation', { name: 'Main navigation' }).waitFor();
}

async function bothShots(page, name) {
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.setViewportSize(PHONE);
  await shot(page, `adopt-${name}-phone`);
  await page.setViewportSize(DESKTOP);
  await shot(page, `adopt-${name}-desktop`);
}

test('first run, a person added on the People page signs in and sets a password, the audit log filters and downloads', async () => {
  const setup = await printedPassword();
  // Until the admin chose a password, the relay serves nothing else to that session.
  const { token } = await login(server.url, 'admin', setup);
  const blocked = await fetch(server.url + '/api/v1/users', { headers: { authorization: `Bearer ${token}` } });
  assert.equal(blocked.status, 403);
  assert.equal((await blocked.json()).error, 'password_change_required');

  // --- first run: the admin in the browser ---
  const actx = await newContext(browser, { viewport: DESKTOP });
  const admin = await actx.newPage();
  const aerrors = watchErrors(admin);
  await admin.goto(server.url + '/');
  await submitSignIn(admin, 'admin', setup);
  await admin.getByRole('heading', { level: 1, name: 'Choose your password' }).waitFor();
  await bothShots(admin, 'first-run');
  await chooseOwnPassword(admin, 'admin passphrase one', 'admin');
  await waitUpToDate(admin, 30_000);
  // The printed password is spent.
  await assert.rejects(login(server.url, 'admin', setup), /401/);
  await login(server.url, 'admin', 'admin passphrase one');

  // --- People: a team, then a person in it ---
  const nav = admin.getByRole('navigation', { name: 'Main navigation' });
  await nav.getByRole('link', { name: 'People' }).click();
  await admin.waitForURL((u) => u.pathname === '/people');
  await admin.getByRole('heading', { level: 1, name: 'People' }).waitFor();
  const users = admin.getByRole('region', { name: 'Users' });
  await users.getByRole('cell', { name: /Administrator|admin/ }).first().waitFor();
  await axeScan(admin, { what: 'people (admin, empty company)' });

  await admin.getByRole('button', { name: 'Add team' }).click();
  await admin.getByRole('textbox', { name: 'Team name' }).fill('North');
  await admin.getByRole('button', { name: 'Save' }).click();
  const teams = admin.getByRole('region', { name: 'Teams' });
  await teams.getByRole('cell', { name: 'North', exact: true }).waitFor();

  const add = admin.getByRole('region', { name: 'Add person' });
  // A bad username is refused at the field; nobody is created.
  await add.getByRole('textbox', { name: 'Username', exact: true }).fill('Alice Wong');
  await add.getByRole('textbox', { name: 'Name', exact: true }).fill('Alice Wong');
  await add.getByRole('button', { name: 'Add person' }).click();
  await add.getByText('Use 1-64 lowercase letters').waitFor();
  await add.getByRole('textbox', { name: 'Username', exact: true }).fill('alice');
  await add.getByRole('combobox', { name: 'Role' }).selectOption('sales_rep');
  await add.getByRole('combobox', { name: 'Team' }).selectOption({ label: 'North' });
  await add.getByRole('button', { name: 'Add person' }).click();
  const otp = admin.getByRole('alert', { name: 'One-time passwords' });
  await otp.waitFor();
  const row = otp.getByRole('row').filter({ hasText: 'alice' });
  const alicePassword = (await row.locator('code').innerText()).trim();
  assert.ok(alicePassword.length >= 8, `a one-time password is shown (${alicePassword})`);
  const aliceRow = users.getByRole('row').filter({ hasText: 'Alice Wong' });
  await aliceRow.getByText('Must set password').waitFor();
  await aliceRow.getByText('North').waitFor();
  await aliceRow.getByText('Sales rep').waitFor();
  await axeScan(admin, { what: 'people (one-time password shown)' });
  await bothShots(admin, 'people');
  await otp.getByRole('button', { name: 'Handed over, hide' }).click();
  await otp.waitFor({ state: 'detached' });

  // --- the new person, on a phone ---
  const pctx = await newContext(browser, { viewport: PHONE });
  const alice = await pctx.newPage();
  const perrors = watchErrors(alice);
  await alice.goto(server.url + '/');
  await submitSignIn(alice, 'alice', 'wrong password');
  await alice.getByRole('alert').filter({ hasText: 'Wrong username or password.' }).waitFor();
  await submitSignIn(alice, 'alice', alicePassword);
  await chooseOwnPassword(alice, 'alice passphrase one', 'alice');
  await waitUpToDate(alice, 30_000);
  await alice.getByRole('link', { name: /Profile: Alice Wong/ }).click();
  await alice.getByRole('heading', { level: 1, name: 'Profile' }).waitFor();
  await alice.getByText('North').waitFor();
  await axeScan(alice, { what: 'profile (alice)' });
  await shot(alice, 'adopt-profile-phone');
  await assert.rejects(login(server.url, 'alice', alicePassword), /401/);
  await login(server.url, 'alice', 'alice passphrase one');
  // The admin's table follows: alice is active now.
  await admin.reload();
  await users.getByRole('row').filter({ hasText: 'Alice Wong' }).getByText('Active').waitFor({ timeout: 20_000 });

  // --- the audit log: filter by person and action, then download the same selection ---
  await nav.getByRole('link', { name: 'Audit log' }).click();
  await admin.waitForURL((u) => u.pathname === '/audit');
  const log = admin.getByRole('table', { name: 'Audit log' });
  await log.getByRole('cell', { name: 'User created' }).first().waitFor();
  await axeScan(admin, { what: 'audit log' });
  const filters = admin.getByRole('form', { name: 'Filters' });
  await filters.getByRole('combobox', { name: 'Person' }).selectOption('alice');
  await filters.getByRole('combobox', { name: 'Action' }).selectOption('password_changed');
  await filters.getByRole('button', { name: 'Apply filters' }).click();
  await eventually(async () => {
    const rows = await log.locator('tbody tr').allInnerTexts();
    return rows.length === 1 && /Password changed/.test(rows[0]) && /Alice Wong/.test(rows[0]);
  }, { what: "one row: alice's password change" });
  await bothShots(admin, 'audit');

  const [download] = await Promise.all([
    admin.waitForEvent('download'),
    filters.getByRole('button', { name: 'Download CSV' }).click(),
  ]);
  assert.equal(download.suggestedFilename(), 'audit.csv');
  const csv = await readFile(await download.path(), 'utf8');
  const lines = csv.trim().split(/\r?\n/);
  assert.ok(lines.length === 2, `a header and one entry:\n${csv}`);
  assert.match(lines[1], /password_changed/);
  assert.match(lines[1], /alice/);

  // Another filter: every user_created entry names alice as its target.
  await filters.getByRole('combobox', { name: 'Person' }).selectOption('');
  await filters.getByRole('combobox', { name: 'Action' }).selectOption('user_created');
  await filters.getByRole('button', { name: 'Apply filters' }).click();
  await eventually(async () => {
    const rows = await log.locator('tbody tr').allInnerTexts();
    return rows.length === 1 && /alice/.test(rows[0]);
  }, { what: 'one user_created row for alice' });

  assert.deepEqual(aerrors, []);
  assert.deepEqual(perrors, []);
  await pctx.close();
  await actx.close();
});
