// Fan-out latency side by side with automerge-repo's own relay (the anchor, tests/bench/anchor-relay.mjs).
// Stock automerge-repo clients (Repo + WebSocketClientAdapter) in this process; each relay in its own.
// Per round: 20 readers spread over 5 users and 1 writer on one document; the writer makes 100 edits at
// 20/s (renaming it `bench N`); each reader records, for every edit, the time from the writer's change to
// the reader's `change` event that shows it (edits arriving together are each timed). Rounds alternate
// (ours, anchor) three times. Prints figures, asserts nothing on time.
//
//   CRM_SERVER_BIN=target/release/crm-server node tests/bench/fanout.mjs
//
// Knobs: FANOUT_ROUNDS (3), FANOUT_READERS (20), FANOUT_EDITS (100), FANOUT_RATE (20 edits/s);
// FANOUT_RELAY_LOG=path keeps our relay's log there (with RUST_LOG=warn,crm_stall=info: its stall timings).
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Repo, ImmutableString } from '@automerge/automerge-repo';
import { WebSocketClientAdapter } from '@automerge/automerge-repo-network-websocket';
import { startServer, login } from '../support/server.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const ROUNDS = Number(process.env.FANOUT_ROUNDS ?? 3);
const READERS = Number(process.env.FANOUT_READERS ?? 20);
const EDITS = Number(process.env.FANOUT_EDITS ?? 100);
const RATE = Number(process.env.FANOUT_RATE ?? 20);
/** Readers' users on our relay: five who may read rep1's deal (the writer is rep1). */
const USERS = ['rep1', 'manager', 'marketing', 'admin', 'analyst'];

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const str = (v) => (v && typeof v === 'object' && 'val' in v ? v.val : v);
function within(ms, promise, what) {
  let timer;
  const timeout = new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`timed out: ${what}`)), ms); });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function client(url) {
  const adapter = new WebSocketClientAdapter(url, 60_000);
  const joined = new Promise((resolve) => adapter.once('peer-candidate', resolve));
  const repo = new Repo({ network: [adapter] });
  await within(60_000, joined, `peer at ${url}`);
  return { repo, adapter };
}

async function close(clients) {
  for (const { repo, adapter } of clients) {
    try { adapter.disconnect(); } catch { /* closed */ }
    try { await repo.shutdown(); } catch { /* nothing to flush */ }
  }
}

function percentile(sorted, p) {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** One round: `readerUrls` (one per reader), `writerUrl`, the document url. Returns latencies in ms. */
async function round(readerUrls, writerUrl, docUrl, label) {
  const writer = await client(writerUrl);
  const readers = [];
  for (const u of readerUrls) readers.push(await client(u));
  const all = [writer, ...readers];
  try {
    const wh = await within(60_000, writer.repo.find(docUrl), `${label}: writer finds the document`);
    const sent = new Array(EDITS).fill(0);
    const lat = [];
    let complete = 0;
    const handles = [];
    for (const r of readers) {
      const h = await within(60_000, r.repo.find(docUrl), `${label}: reader finds the document`);
      let seen = -1;
      h.on('change', ({ doc }) => {
        const m = /^bench (\d+)$/.exec(str(doc.name) ?? '');
        if (!m) return;
        const n = Number(m[1]);
        const now = performance.now();
        for (let i = seen + 1; i <= n; i++) if (sent[i]) lat.push(now - sent[i]);
        if (n > seen) seen = n;
        if (n === EDITS - 1) complete++;
      });
      handles.push(h);
    }
    await sleep(500); // let the readers' first sync rounds settle
    const t0 = performance.now();
    for (let i = 0; i < EDITS; i++) {
      const due = t0 + (i * 1000) / RATE;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      sent[i] = performance.now();
      wh.change((d) => { d.name = new ImmutableString(`bench ${i}`); });
    }
    const end = Date.now() + 30_000;
    while (complete < readers.length && Date.now() < end) await sleep(20);
    lat.sort((a, b) => a - b);
    return { lat, missing: readers.length * EDITS - lat.length };
  } finally {
    await close(all);
  }
}

function spawnAnchor() {
  const child = spawn(process.execPath, [join(here, 'anchor-relay.mjs')], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/anchor listening on (ws:\/\/\S+)/);
      if (m) resolve({ url: m[1], stop: () => child.kill('SIGTERM') });
    });
    child.on('exit', (c) => reject(new Error(`anchor exited ${c}`)));
  });
}

const ours = await startServer({ staticDir: join(here, 'no-static') });
const anchor = await spawnAnchor();
const results = [];
try {
  // Our relay: rep1's deal; readers' tokens spread over USERS.
  const sessions = {};
  for (const u of USERS) sessions[u] = await login(ours.url, u);
  const opps = await (await fetch(`${ours.url}/api/v1/opportunities`, { headers: { authorization: `Bearer ${sessions.rep1.token}` } })).json();
  const deal = (Array.isArray(opps) ? opps : opps.items).find((o) => o.owner === 'rep1');
  const oursUrls = Array.from({ length: READERS }, (_, i) => `${ours.wsUrl}?token=${sessions[USERS[i % USERS.length]].token}`);
  const oursWriter = `${ours.wsUrl}?token=${sessions.rep1.token}`;
  const oursDoc = `automerge:${deal.id}`;
  // The anchor: a document made by a first client, stored on the anchor.
  const maker = await client(anchor.url);
  const made = maker.repo.create({ name: new ImmutableString('bench start') });
  await sleep(1000);
  await close([maker]);
  const anchorDoc = made.url;

  for (let r = 0; r < ROUNDS; r++) {
    for (const [relay, urls, writer, doc] of [
      ['crm-server', oursUrls, oursWriter, oursDoc],
      ['automerge-repo relay', Array(READERS).fill(anchor.url), anchor.url, anchorDoc],
    ]) {
      const { lat, missing } = await round(urls, writer, doc, `${relay} round ${r + 1}`);
      const row = { relay, round: r + 1, samples: lat.length, missing, p50: percentile(lat, 50), p99: percentile(lat, 99), max: lat.at(-1) };
      results.push(row);
      console.error(`${relay} round ${r + 1}: p50 ${row.p50.toFixed(1)} ms, p99 ${row.p99.toFixed(1)} ms, max ${row.max.toFixed(1)} ms (${row.samples} samples, ${missing} missing)`);
    }
  }
} finally {
  anchor.stop();
  await ours.stop();
  if (process.env.FANOUT_RELAY_LOG) writeFileSync(process.env.FANOUT_RELAY_LOG, ours.log());
}

console.log(`\nfan-out: ${READERS} readers over ${USERS.length} users, 1 writer, ${EDITS} edits at ${RATE}/s, ${ROUNDS} alternating rounds`);
console.log('| relay | round | p50 ms | p99 ms | max ms | samples | missing |');
console.log('|---|---|---|---|---|---|---|');
for (const r of results) {
  console.log(`| ${r.relay} | ${r.round} | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} | ${r.max.toFixed(1)} | ${r.samples} | ${r.missing} |`);
}
for (let r = 1; r <= ROUNDS; r++) {
  const [a, b] = [results.find((x) => x.round === r && x.relay === 'crm-server'), results.find((x) => x.round === r && x.relay !== 'crm-server')];
  if (a && b) console.log(`round ${r}: crm-server p99 / anchor p99 = ${(a.p99 / b.p99).toFixed(2)}, p50 ratio ${(a.p50 / b.p50).toFixed(2)}`);
}
process.exit(0);
