// Where does the client's first sync spend its time? Signs rep1 in against a relay seeded with
// `--demo-scale N` (the cached store of tests/bench/client.mjs, target/bench/seed-N/), records a CPU profile of
// the page (CDP Profiler) for PROFILE_SECONDS during the first sync, and prints self time per function and the
// share of time the main thread sat idle (waiting for IndexedDB or the socket).
//
//   CRM_DIST=<a dist whose wasm kept its name section> BENCH_SCALE=1000 node tests/bench/profile-sync.mjs
//
// (wasm-opt drops function names; `wasm-bindgen --keep-debug` output without wasm-opt keeps them.)
import { chromium } from 'playwright-core';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SCALE = Number(process.env.BENCH_SCALE ?? 1000);
const SECONDS = Number(process.env.PROFILE_SECONDS ?? 30);
process.env.CRM_DEMO_SCALE = String(SCALE);
const { startServer, chromiumLaunchOptions } = await import('../support/server.mjs');

const seedDir = join(root, 'target', 'bench', `seed-${SCALE}`);
if (!existsSync(join(seedDir, 'crm.sqlite3'))) throw new Error(`no seeded store in ${seedDir}: run tests/bench/client.mjs with BENCH_SCALE=${SCALE} first`);
const dataDir = mkdtempSync(join(tmpdir(), 'crm-prof-'));
for (const f of readdirSync(seedDir)) copyFileSync(join(seedDir, f), join(dataDir, f));
const server = await startServer({ dataDir });
for (;;) {
  if (await fetch(server.url + '/api/health').then((r) => r.ok).catch(() => false)) break;
  await new Promise((r) => setTimeout(r, 200));
}
const browser = await chromium.launch(chromiumLaunchOptions);
try {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'en-US' });
  const page = await ctx.newPage();
  await page.goto(server.url + '/');
  await page.getByLabel('Username').fill('rep1');
  await page.getByLabel('Password').fill('demo');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('navigation', { name: 'Main navigation' }).waitFor({ timeout: 60_000 });
  // Let the index arrive so the bulk of the sync is running.
  await page.getByRole('status', { name: 'Sync state' }).filter({ hasText: /Syncing \d{3,}/ }).waitFor({ timeout: 120_000 });
  const badge0 = await page.getByRole('status', { name: 'Sync state' }).textContent();
  const cdp = await ctx.newCDPSession(page);
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: 500 });
  await cdp.send('Profiler.start');
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  const { profile } = await cdp.send('Profiler.stop');
  const badge1 = await page.getByRole('status', { name: 'Sync state' }).textContent();
  const dir = join(root, 'target', 'bench');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `sync-${SCALE}.cpuprofile`), JSON.stringify(profile));

  // Self time per function (sample counts × interval).
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const counts = new Map();
  for (const id of profile.samples) counts.set(id, (counts.get(id) ?? 0) + 1);
  const total = profile.samples.length;
  const self = new Map();
  for (const [id, c] of counts) {
    const f = byId.get(id).callFrame;
    const key = f.functionName || `(anonymous ${f.url.split('/').pop()}:${f.lineNumber})`;
    self.set(key, (self.get(key) ?? 0) + c);
  }
  const top = [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, 40);
  const pct = (c) => ((100 * c) / total).toFixed(1).padStart(5) + ' %';
  console.log(`first sync of rep1 at scale ${SCALE}: badge "${badge0}" → "${badge1}" over ${SECONDS} s; ${total} samples`);
  for (const [k, c] of top) console.log(`${pct(c)}  ${k.slice(0, 150)}`);
} finally {
  await browser.close();
  await server.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
