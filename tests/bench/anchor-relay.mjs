// The anchor for tests/bench/fanout.mjs: automerge-repo's own relay, as its sync-server example runs it
// (a Repo on a `ws` server through the stock WebSocketServerAdapter, `sharePolicy` false, documents saved
// to files). Prints `anchor listening on ws://127.0.0.1:PORT` once ready. Run as its own process so it
// does not share an event loop with the clients (our relay is a separate process too).
import { mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocketServer } from 'ws';
import { Repo } from '@automerge/automerge-repo';
import { WebSocketServerAdapter } from '@automerge/automerge-repo-network-websocket';

/** Files in one folder, one per key (like the stock NodeFS adapter, without its sharding). */
class FileStorage {
  constructor(dir) { this.dir = dir; mkdirSync(dir, { recursive: true }); }
  file(key) { return join(this.dir, key.map(encodeURIComponent).join('.')); }
  async load(key) { try { return new Uint8Array(readFileSync(this.file(key))); } catch { return undefined; } }
  async save(key, data) { writeFileSync(this.file(key), data); }
  async remove(key) { rmSync(this.file(key), { force: true }); }
  keys(prefix) {
    const p = prefix.map(encodeURIComponent).join('.');
    return readdirSync(this.dir).filter((f) => f === p || f.startsWith(p + '.'));
  }
  async loadRange(prefix) {
    return this.keys(prefix).map((f) => ({
      key: f.split('.').map(decodeURIComponent),
      data: new Uint8Array(readFileSync(join(this.dir, f))),
    }));
  }
  async removeRange(prefix) { for (const f of this.keys(prefix)) rmSync(join(this.dir, f), { force: true }); }
}

const dir = mkdtempSync(join(tmpdir(), 'crm-anchor-'));
const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
await new Promise((r) => wss.once('listening', r));
new Repo({
  network: [new WebSocketServerAdapter(wss)],
  storage: new FileStorage(dir),
  peerId: 'anchor-relay',
  sharePolicy: async () => false,
});
console.log(`anchor listening on ws://127.0.0.1:${wss.address().port}`);
const stop = () => { wss.close(); rmSync(dir, { recursive: true, force: true }); process.exit(0); };
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
