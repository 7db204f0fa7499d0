// Shared helpers for the browser tests: a real relay (tests/support/server.mjs), Debian's chromium,
// signing in through the UI, and polling (playwright-core has no `expect`).
import { chromium } from 'playwright-core';
import AxeBuilder from '@axe-core/playwright';
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromiumLaunchOptions, login } from '../support/server.mjs';

export { startServer, login } from '../support/server.mjs';

export const PHONE = { width: 390, height: 844 };
export const DESKTOP = { width: 1280, height: 800 };
export const SCREENSHOTS = join(dirname(fileURLToPath(import.meta.url)), 'screenshots');

export async function launch() {
  return chromium.launch(chromiumLaunchOptions);
}

export async function newContext(browser, { viewport = DESKTOP, locale = 'en-US' } = {}) {
  return browser.newContext({ viewport, locale, serviceWorkers: 'allow' });
}

/**
 * Collects uncaught page errors, and anything the Content-Security-Policy refused (Chromium reports those on
 * the console), so a test can assert there were none.
 */
export function watchErrors(page) {
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    if (/Content[ -]Security[ -]Policy/i.test(m.text())) errors.push(`CSP: ${m.text()}`);
    // A Rust panic reaches `pageerror` only as "unreachable"; its message is what console_error_panic_hook logs.
    if (m.type() === 'error' && /panicked at/.test(m.text())) errors.push(`panic: ${m.text().slice(0, 1500)}`);
  });
  return errors;
}

/** Signs in through the form and waits for the app shell (in English, or in Chinese for a zh-CN browser). */
export async function signIn(page, base, username) {
  await page.goto(base + '/');
  await page.getByLabel(/^(Username|用户名)$/).fill(username);
  await page.getByLabel(/^(Password|密码)$/).fill('demo');
  await page.getByRole('button', { name: /^(Sign in|登录)$/ }).click();
  await page.getByRole('navigation', { name: /^(Main navigation|主导航)$/ }).waitFor();
}

/** A new browser context and page signed in as `username`, up to date; with the page's error collector. */
export async function openSignedIn(browser, base, username, { viewport = DESKTOP, locale = 'en-US' } = {}) {
  const context = await newContext(browser, { viewport, locale });
  const page = await context.newPage();
  const errors = watchErrors(page);
  await signIn(page, base, username);
  await waitUpToDate(page);
  return { context, page, errors };
}

/** Opens a page from the main navigation: its entry, or on a phone "More" and then the entry. */
export async function navTo(page, name) {
  const nav = page.getByRole('navigation', { name: /^(Main navigation|主导航)$/ });
  const link = nav.getByRole('link', { name, exact: true });
  if (!(await link.isVisible())) await nav.getByRole('button', { name: /^(More|更多)$/ }).click();
  await link.click();
}

export function syncBadge(page) {
  return page.getByRole('status', { name: /^(Sync state|同步状态)$/ });
}

export async function waitUpToDate(page, timeout = 20_000) {
  try {
    await syncBadge(page).filter({ hasText: /Up to date|已同步/ }).waitFor({ timeout });
  } catch (e) {
    // Say what the badge showed instead ("Syncing 2", "Connecting…"): a timeout alone does not tell.
    const shown = await syncBadge(page).innerText({ timeout: 1_000 }).catch(() => '(no badge)');
    const pending = await page.evaluate(() => document.documentElement.dataset.syncPending).catch(() => '?');
    e.message = `not up to date after ${timeout} ms, the badge shows "${shown}" (documents: ${pending}): ${e.message}`;
    throw e;
  }
}

/** Polls `fn` until it returns a truthy value (returned) or throws after `timeout` ms. */
export async function eventually(fn, { timeout = 15_000, interval = 200, what = 'condition' } = {}) {
  const end = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
      last = v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; last: ${last?.message ?? JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, interval));
  }
}

/** GET a REST collection or record as `username`. */
export async function rest(base, username, path) {
  const { token } = await login(base, username);
  const res = await fetch(base + path, { headers: { authorization: `Bearer ${token}` } });
  if (!res.ok) return { status: res.status, body: await res.text() };
  return { status: res.status, body: await res.json() };
}

export function items(body) {
  return Array.isArray(body) ? body : body.items ?? body.records ?? [];
}

/**
 * Runs axe-core on the page as it is now and throws on any serious or critical violation (rule id, impact and
 * the first offending elements in the message). Call it on every page a test visits.
 */
export async function axeScan(page, { what = page.url(), exclude = [] } = {}) {
  let builder = new AxeBuilder({ page });
  for (const sel of exclude) builder = builder.exclude(sel);
  const { violations } = await builder.analyze();
  const bad = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  if (bad.length) {
    const lines = bad.map((v) => `${v.id} (${v.impact}): ${v.help}; at ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`);
    throw new Error(`axe: ${bad.length} serious/critical violation(s) on ${what}:\n${lines.join('\n')}`);
  }
  return violations;
}

export async function shot(page, name) {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const path = join(SCREENSHOTS, /\.(png|jpe?g)$/.test(name) ? name : `${name}.png`);
  await page.screenshot({ path });
  return path;
}

// --- document ids (automerge-repo DocumentId: bs58check of 16 bytes), to recognise companions ---
const ALPHABET = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
function b58encode(buf) {
  let n = BigInt('0x' + (buf.length ? buf.toString('hex') : '0'));
  let out = '';
  while (n > 0n) { out = ALPHABET[Number(n % 58n)] + out; n /= 58n; }
  for (const b of buf) { if (b === 0) out = '1' + out; else break; }
  return out;
}
function b58decode(s) {
  let n = 0n;
  for (const c of s) n = n * 58n + BigInt(ALPHABET.indexOf(c));
  let hex = n.toString(16);
  if (hex.length % 2) hex = '0' + hex;
  const lead = s.match(/^1*/)[0].length;
  return Buffer.concat([Buffer.alloc(lead), Buffer.from(hex, 'hex')]);
}
const sha = (b) => createHash('sha256').update(b).digest();
/** The id of `recordId`'s companion document for `group` (docs/ARCHITECTURE.md §2: SHA-256 over id bytes + group). */
export function companionId(recordId, group) {
  const raw = b58decode(recordId).subarray(0, 16);
  const bytes = sha(Buffer.concat([raw, Buffer.from(group)])).subarray(0, 16);
  const check = sha(sha(bytes)).subarray(0, 4);
  return b58encode(Buffer.concat([bytes, check]));
}
