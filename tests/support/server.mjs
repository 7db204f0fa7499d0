// Starts a real crm-server (the binary ./test built) on a free port with a fresh data folder and the demo
// company, and stops it. Used by the peer and browser tests.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const bin = process.env.CRM_SERVER_BIN || join(root, 'target', 'debug', 'crm-server');
export const dist = process.env.CRM_DIST || join(root, 'dist');

// `args`: extra flags (e.g. `--tls-cert`); with `--http-redirect-listen` it also waits for that listener
// and returns its address as `redirectUrl`.
export async function startServer({ demo = true, dataDir, staticDir = dist, args: extra = [] } = {}) {
  const data = dataDir || mkdtempSync(join(tmpdir(), 'crm-test-'));
  const args = ['--listen', '127.0.0.1:0', '--data', data, '--static-dir', staticDir];
  if (demo) args.push('--demo');
  args.push(...extra);
  const redirecting = extra.includes('--http-redirect-listen');
  let redirectUrl;
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, RUST_LOG: process.env.RUST_LOG || 'warn' } });
  let log = '';
  child.stderr.on('data', (d) => { log += d; });
  // Everything the relay printed (the first-run message with the one-time password comes after "listening").
  let out = '';
  child.stdout.on('data', (d) => { out += d; });
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`crm-server did not start:\n${log}`)), 60_000);
    child.stdout.on('data', () => {
      const m = out.match(/listening on (https?:\/\/[^\s]+)/);
      const r = out.match(/redirecting (http:\/\/[^\s]+) to https/);
      if (r) redirectUrl = r[1];
      if (m && (!redirecting || r)) { clearTimeout(timer); resolve(m[1]); }
    });
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`crm-server exited ${code}:\n${log}`)); });
  });
  return {
    url,
    redirectUrl,
    pid: child.pid,
    wsUrl: url.replace(/^http/, 'ws') + '/sync',
    data,
    log: () => log,
    stdout: () => out,
    async stop({ keepData = false } = {}) {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      if (!keepData && !dataDir) rmSync(data, { recursive: true, force: true });
    },
    kill() { child.kill('SIGKILL'); },
  };
}

export async function login(baseUrl, username, password = 'demo') {
  const res = await fetch(`${baseUrl}/api/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  if (!res.ok) throw new Error(`login ${username}: ${res.status} ${await res.text()}`);
  return res.json();
}

/** Headless Debian chromium with the flags this closed network needs. */
export const chromiumLaunchOptions = {
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
};
