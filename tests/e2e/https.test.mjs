// A phone on the LAN: the relay serves HTTPS with a certificate from `crm-server cert` for `crm.test` (a
// non-localhost name, mapped to 127.0.0.1 by Chromium's resolver rules). The browser trusts the generated CA
// the way a phone does after installing it (an NSS database under a throwaway HOME), signs in, finds the PWA
// installable, syncs over wss under the CSP without a violation, and starts offline. Plain HTTP redirects to
// HTTPS, and the probes get the safe answers.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { chromiumLaunchOptions } from '../support/server.mjs';
import { startServer, signIn, eventually, watchErrors, waitUpToDate, axeScan, shot, PHONE, DESKTOP } from './helpers.mjs';

const bin = process.env.CRM_SERVER_BIN || join(import.meta.dirname, '..', '..', 'target', 'debug', 'crm-server');
let server, dir, home, profile, ca, base, port;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'crm-tls-'));
  // The README's command, as a team would run it.
  const printed = execFileSync(bin, ['cert', '--names', 'crm.test,127.0.0.1', '--out', dir], { encoding: 'utf8' });
  assert.match(printed, /crm-ca\.crt/, printed);
  assert.match(printed, /--tls-cert .*relay\.pem/, printed);
  ca = readFileSync(join(dir, 'crm-ca.crt'));
  server = await startServer({
    args: ['--tls-cert', join(dir, 'relay.pem'), '--tls-key', join(dir, 'relay-key.pem'),
      '--http-redirect-listen', '127.0.0.1:0',
      // Throttled attempts wait 2 minutes, so no machine is slow enough for a wait to run out mid-test.
      '--login-first-delay-secs', '120'],
  });
  assert.match(server.url, /^https:\/\//);
  port = new URL(server.url).port;
  base = `https://crm.test:${port}`;
  // Trust the CA for this run only: Chromium on Linux reads $HOME/.pki/nssdb.
  home = mkdtempSync(join(tmpdir(), 'crm-home-'));
  const db = join(home, '.pki', 'nssdb');
  mkdirSync(db, { recursive: true });
  execFileSync('certutil', ['-d', `sql:${db}`, '-N', '--empty-password']);
  execFileSync('certutil', ['-d', `sql:${db}`, '-A', '-t', 'C,,', '-n', 'CRM test CA', '-i', join(dir, 'crm-ca.crt')]);
  profile = mkdtempSync(join(tmpdir(), 'crm-profile-'));
});
after(async () => {
  await server?.stop();
  for (const d of [dir, home, profile]) if (d) rmSync(d, { recursive: true, force: true });
});

/** One HTTPS request that trusts only the generated CA, by the LAN name (from `localAddress` if given). */
function request(path, { method = 'GET', headers = {}, body, localAddress } = {}) {
  return new Promise((resolve, reject) => {
    const req = https.request({
      host: '127.0.0.1', port, path, method, ca, servername: 'crm.test', localAddress,
      headers: { host: `crm.test:${port}`, ...(body ? { 'content-type': 'application/json' } : {}), ...headers },
    }, (res) => {
      let text = '';
      res.on('data', (d) => { text += d; });
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, text }));
    });
    req.on('upgrade', (res, socket) => { socket.destroy(); resolve({ status: res.statusCode, headers: res.headers, text: '' }); });
    req.on('error', reject);
    req.end(body ? JSON.stringify(body) : undefined);
  });
}

const loginBody = (username, password) => ({ method: 'POST', body: { username, password } });

test('the issue\'s probes get the safe answers over HTTPS', async () => {
  // Headers on every answer, HSTS under HTTPS, the socket allowed on this host only.
  for (const path of ['/', '/app.css', '/api/health', '/api/me']) {
    const r = await request(path);
    assert.match(r.headers['content-security-policy'], /frame-ancestors 'none'/, path);
    assert.match(r.headers['content-security-policy'], new RegExp(`connect-src 'self' wss://crm\\.test:${port};`), path);
    assert.equal(r.headers['x-content-type-options'], 'nosniff', path);
    assert.equal(r.headers['referrer-policy'], 'no-referrer', path);
    assert.equal(r.headers['strict-transport-security'], 'max-age=31536000', path);
  }
  // A session cookie (Secure under HTTPS) opening /sync from another origin: 403 with a JSON error.
  const signed = await request('/api/login', loginBody('rep1', 'demo'));
  assert.equal(signed.status, 200);
  const cookie = signed.headers['set-cookie'][0];
  assert.match(cookie, /; Secure/);
  const upgrade = (origin) => request('/sync', { headers: {
    connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13',
    'sec-websocket-key': randomBytes(16).toString('base64'), origin, cookie: cookie.split(';')[0],
  } });
  const refused = await upgrade('https://evil.example');
  assert.equal(refused.status, 403);
  assert.equal(JSON.parse(refused.text).error, 'forbidden');
  assert.equal((await upgrade(base)).status, 101, 'the relay\'s own pages may');
  // Five wrong passwords for rep2 from another address (127.0.0.2) do not keep rep2 out.
  const statuses = [];
  let last;
  for (let i = 0; i < 5; i++) {
    last = await request('/api/login', { ...loginBody('rep2', 'wrong'), localAddress: '127.0.0.2' });
    statuses.push(last.status);
  }
  assert.deepEqual(statuses, [401, 401, 401, 429, 429]);
  assert.ok(Number(last.headers['retry-after']) > 0);
  assert.equal((await request('/api/login', loginBody('rep2', 'demo'))).status, 200);
});

test('a phone-sized Chromium on a LAN name installs the PWA over HTTPS and starts offline', async () => {
  const ctx = await chromium.launchPersistentContext(profile, {
    ...chromiumLaunchOptions,
    args: [...chromiumLaunchOptions.args, '--host-resolver-rules=MAP crm.test 127.0.0.1'],
    env: { ...process.env, HOME: home },
    viewport: PHONE, locale: 'en-US', serviceWorkers: 'allow',
  });
  const page = ctx.pages()[0] ?? await ctx.newPage();
  const errors = watchErrors(page);

  // Typing the plain-HTTP address lands on HTTPS.
  const redirectPort = new URL(server.redirectUrl).port;
  await page.goto(`http://crm.test:${redirectPort}/`);
  assert.equal(new URL(page.url()).origin, base);

  await signIn(page, base, 'rep1');
  assert.equal(await page.evaluate(() => window.isSecureContext), true);
  await waitUpToDate(page);
  await page.evaluate(() => navigator.serviceWorker.ready.then(() => true));
  await eventually(() => page.evaluate(() => !!navigator.serviceWorker.controller), { what: 'the worker to control the page' });
  const cdp = await ctx.newCDPSession(page);
  assert.deepEqual((await cdp.send('Page.getAppManifest')).errors, []);
  const { installabilityErrors } = await cdp.send('Page.getInstallabilityErrors');
  assert.deepEqual(installabilityErrors, [], 'Chromium finds the app installable over HTTPS on crm.test');
  await axeScan(page);
  await shot(page, 'https-phone.png');

  // Offline: a fresh start runs from the service worker and shows rep1's customers.
  await ctx.setOffline(true);
  await page.reload();
  await page.getByRole('navigation', { name: 'Main navigation' }).waitFor();
  await page.goto(`${base}/customers`);
  await page.locator('.vlist-row').first().waitFor();
  assert.equal(new URL(page.url()).origin, base);
  await ctx.setOffline(false);
  await waitUpToDate(page);
  await page.setViewportSize(DESKTOP);
  await shot(page, 'https-desktop.png');
  assert.deepEqual(errors, [], 'no page errors and no CSP violations');
  await ctx.close();
});
