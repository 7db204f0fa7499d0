// A stock automerge-repo client (Repo + the websocket client adapter, connecting with ?token=) against the
// real relay with the demo company: it finds rep1's opportunity by the id REST gives, reads its fields,
// makes an allowed edit that another client sees, and gets "unavailable" for what its role may not read.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Repo, ImmutableString, documentIdToBinary } from '@automerge/automerge-repo';
import { WebSocketClientAdapter } from '@automerge/automerge-repo-network-websocket';
import bs58check from 'bs58check';
import { startServer, login } from '../support/server.mjs';

let server;
const repos = [];

before(async () => { server = await startServer(); });
after(async () => {
  for (const { repo, adapter } of repos) {
    try { adapter.disconnect(); } catch { /* already closed */ }
    try { await repo.shutdown(); } catch { /* nothing to flush */ }
  }
  await server?.stop();
});

async function peer(username) {
  const session = await login(server.url, username);
  // A long retry interval: the adapter re-dials every `retryInterval` ms until the socket opens (0 would
  // re-dial on every tick and never let a socket open on a busy machine).
  const adapter = new WebSocketClientAdapter(`${server.wsUrl}?token=${session.token}`, 60_000);
  // Wait for the relay's `peer` answer itself: `whenReady()` also resolves after a 1 s timeout, and a find
  // issued before the relay is a peer is "unavailable" at once on a busy machine.
  const joined = new Promise((resolve) => adapter.once('peer-candidate', resolve));
  const repo = new Repo({ network: [adapter] });
  repos.push({ repo, adapter });
  await within(30_000, joined, `${username}: the relay's peer message`);
  const find = async (id) => {
    try {
      return await within(30_000, repo.find(id), `${username}: find ${id}`);
    } catch (e) {
      throw new Error(`${username}: ${e.message}`);
    }
  };
  return { repo, session, find };
}

/** Fails instead of hanging when the relay does not answer. */
function within(ms, promise, what) {
  let timer;
  const timeout = new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`timed out: ${what}`)), ms); });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function rest(path, token) {
  const res = await fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(res.status, 200, `${path}: ${res.status}`);
  const body = await res.json();
  return Array.isArray(body) ? body : body.items;
}

/** The companion document id of a record for a field group: first 16 bytes of SHA-256(record bytes ‖ group). */
function companionId(recordId, group) {
  const h = createHash('sha256');
  h.update(Buffer.from(documentIdToBinary(recordId)));
  h.update(group);
  return bs58check.encode(h.digest().subarray(0, 16));
}

/** Scalar strings written by the relay's Rust side arrive as ImmutableString; text as plain strings. */
const str = (v) => (v && typeof v === 'object' && 'val' in v ? v.val : v);

async function unavailable(repo, id) {
  await assert.rejects(within(30_000, repo.find(id), `find ${id}`), /unavailable/i, `${id} should be unavailable`);
}

async function waitFor(what, fn, ms = 10_000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await fn()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  assert.fail(`timed out waiting for ${what}`);
}

test('a stock automerge-repo peer sees exactly its slice and edits what it may', { timeout: 240_000 }, async () => {
  const rep1 = await peer('rep1');
  const opps = await rest('/api/v1/opportunities', rep1.session.token);
  const mine = opps.find((o) => o.owner === 'rep1');
  assert.ok(mine, 'rep1 owns an opportunity');

  const handle = await rep1.find(mine.id);
  const doc = handle.doc();
  assert.equal(str(doc.kind), 'opportunity');
  assert.equal(str(doc.owner), 'rep1');
  assert.equal(str(doc.name), mine.name);
  assert.equal(typeof str(doc.stage), 'string');

  // rep1 may read their deal's money companion.
  const money = await rep1.find(companionId(mine.id, 'money'));
  assert.equal(str(money.doc().kind), 'money');
  assert.equal(str(money.doc().record), mine.id);

  // An allowed edit reaches another client (the manager, live).
  const manager = await peer('manager');
  const seen = await manager.find(mine.id);
  // The natural first edit: a plain JS string, which automerge-js 3 turns into a collaborative Text. The
  // relay reads it as its string value (every other check still applies).
  handle.change((d) => { d.name = 'plain'; });
  await waitFor('the manager to see the plain-string edit', () => str(seen.doc().name) === 'plain');
  const viaRest = async () => (await fetch(`${server.url}/api/v1/opportunities/${mine.id}`, {
    headers: { authorization: `Bearer ${rep1.session.token}` },
  }).then((r) => r.json())).name;
  await waitFor('REST to read the plain-string edit', async () => (await viaRest()) === 'plain');
  assert.equal(await viaRest(), 'plain');
  // Scalar strings (ImmutableString) work as before.
  handle.change((d) => { d.name = new ImmutableString('Edited by a stock automerge-repo peer'); });
  await waitFor('the manager to see the edit', () => str(seen.doc().name) === 'Edited by a stock automerge-repo peer');

  // rep3's opportunity (another team) is unavailable to rep1, as is its money companion.
  const rep3 = await peer('rep3');
  const theirs = (await rest('/api/v1/opportunities', rep3.session.token)).find((o) => o.owner === 'rep3');
  assert.ok(theirs, 'rep3 owns an opportunity');
  await unavailable(rep1.repo, theirs.id);
  await unavailable(rep1.repo, companionId(theirs.id, 'money'));

  // Marketing reads the deal but never its money.
  const marketing = await peer('marketing');
  const seenByMarketing = await marketing.find(mine.id);
  assert.equal(str(seenByMarketing.doc().kind), 'opportunity');
  await unavailable(marketing.repo, companionId(mine.id, 'money'));
});

test('a peer without a valid token is refused', async () => {
  const res = await fetch(`${server.url}/sync?token=not-a-token`);
  assert.equal(res.status, 401);
});
