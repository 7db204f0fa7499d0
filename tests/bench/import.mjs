// Import benchmark (issue 11): the Maven pipeline (8,800 deals + 85 customers) after its 35 agents, their 6
// managers and 3 regional teams are made users over REST, then a generated 50,000-row deal file; each through
// `POST /api/v1/import` as the admin. Prints wall time per import, the relay's own split of it (plan, build,
// store, index: its `import stored` / `bulk create` log lines) and the relay's peak RSS (VmHWM). Prints
// figures, asserts only that every row landed.
//
//   CRM_SERVER_BIN=target/release/crm-server node tests/bench/import.mjs
//
// Knobs: IMPORT_BIG_ROWS (50000); IMPORT_SKIP_BIG=1.
import { readFileSync, existsSync } from 'node:fs';
import { startServer, login } from '../support/server.mjs';

const DATA = '/work/shared/data/maven-crm';
const BIG = Number(process.env.IMPORT_BIG_ROWS ?? 50_000);

if (!process.env.RUST_LOG) process.env.RUST_LOG = 'warn,server::api::import=info,server::sync=debug';
process.env.NO_COLOR = '1';
const server = await startServer({ args: [] });
const { token } = await login(server.url, 'admin');
const H = { authorization: `Bearer ${token}` };

async function call(method, path, body, headers = {}) {
  const res = await fetch(server.url + path, {
    method,
    headers: { ...H, ...(typeof body === 'string' ? { 'content-type': 'text/csv' } : { 'content-type': 'application/json' }), ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json;
  try { json = JSON.parse(text); } catch { json = text; }
  return { status: res.status, body: json };
}

const slug = (name) => name.toLowerCase().normalize('NFKD').replace(/[^a-z0-9]+/g, '.').replace(/^\.|\.$/g, '');
const peakKb = () => {
  const m = readFileSync(`/proc/${server.pid}/status`, 'utf8').match(/VmHWM:\s+(\d+) kB/);
  return m ? Number(m[1]) : NaN;
};
const rssKb = () => {
  const m = readFileSync(`/proc/${server.pid}/status`, 'utf8').match(/VmRSS:\s+(\d+) kB/);
  return m ? Number(m[1]) : NaN;
};
/** The relay's own timings logged since `from` (a position in its log): its `import stored` line (documents
 * built, then stored with the indexes) and the hub's `bulk create` line (stored, indexes recomputed). */
function split(from) {
  const lines = server.log().slice(from).split('\n');
  const field = (what, name) => {
    const line = lines.find((l) => l.includes(what));
    const m = line && line.match(new RegExp(`${name}=(\\d+)`));
    return m ? Number(m[1]) : NaN;
  };
  return { build_ms: field('import stored', 'build_ms'), store_ms: field('bulk create', 'store_ms'), index_ms: field('bulk create', 'index_ms') };
}

async function importCsv(label, query, csv, expectRows) {
  const from = server.log().length;
  const t0 = performance.now();
  const r = await call('POST', `/api/v1/import?${query}`, csv);
  const ms = performance.now() - t0;
  const dry = query.includes('dry_run=true');
  if (r.status !== 200 || r.body.rejected_rows !== 0 || (!dry && r.body.imported !== true)) {
    console.error(JSON.stringify(r.body).slice(0, 2000));
    throw new Error(`${label}: ${r.status}`);
  }
  if (expectRows && r.body.rows !== expectRows) throw new Error(`${label}: ${r.body.rows} rows, expected ${expectRows}`);
  await new Promise((res) => setTimeout(res, 300)); // the last log lines
  const s = split(from);
  return { label, rows: r.body.rows, records: r.body.records ?? null, wall_s: +(ms / 1000).toFixed(2), ...s, rss_mb: Math.round(rssKb() / 1024), peak_rss_mb: Math.round(peakKb() / 1024) };
}

const rows = [];
try {
  if (!existsSync(`${DATA}/sales_pipeline.csv`)) {
    console.log(`no sample data at ${DATA}: Maven import skipped`);
  } else {
    // The company: a team per regional office, its managers, the agents in them.
    const teams = readFileSync(`${DATA}/sales_teams.csv`, 'utf8').trim().split(/\r?\n/).slice(1).map((l) => l.split(','));
    const t0 = performance.now();
    for (const office of [...new Set(teams.map((t) => t[2]))]) {
      const r = await call('POST', '/api/v1/teams', { id: `office.${slug(office)}`, name: `${office} office` });
      if (r.status >= 300) throw new Error(`team ${office}: ${r.status} ${JSON.stringify(r.body)}`);
    }
    for (const [manager, office] of [...new Map(teams.map((t) => [t[1], t[2]]))]) {
      const r = await call('POST', '/api/v1/users', { id: slug(manager), name: manager, role: 'sales_manager', team: `office.${slug(office)}`, password: 'bench-password-1', one_time: false });
      if (r.status >= 300) throw new Error(`manager ${manager}: ${r.status} ${JSON.stringify(r.body)}`);
    }
    for (const [agent, , office] of teams) {
      const r = await call('POST', '/api/v1/users', { id: slug(agent), name: agent, role: 'sales_rep', team: `office.${slug(office)}`, password: 'bench-password-1', one_time: false });
      if (r.status >= 300) throw new Error(`agent ${agent}: ${r.status} ${JSON.stringify(r.body)}`);
    }
    console.error(`users and teams: ${teams.length} agents in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    const pipeline = readFileSync(`${DATA}/sales_pipeline.csv`, 'utf8');
    rows.push(await importCsv('Maven pipeline (dry run)', 'kind=opportunities&format=maven&dry_run=true', pipeline, 8800));
    rows.push(await importCsv('Maven pipeline', 'kind=opportunities&format=maven', pipeline, 8800));
  }
  if (!process.env.IMPORT_SKIP_BIG) {
    const owners = ['rep1', 'rep2', 'manager'];
    const stages = ['initial', 'needs', 'proposal'];
    const lines = ['name,owner,customer,expected_amount,stage'];
    for (let i = 0; i < BIG; i++) lines.push(`Generated deal ${i},${owners[i % 3]},Generated customer ${i % 500},${1000 + i},${stages[i % 3]}`);
    rows.push(await importCsv(`${BIG.toLocaleString('en')} generated rows`, 'kind=opportunities&format=generic', lines.join('\n'), BIG));
  }
} finally {
  await server.stop();
}
console.log('\n| import | rows | wall s | build ms | store ms | index ms | RSS after MB | peak RSS MB |');
console.log('|---|---|---|---|---|---|---|---|');
for (const r of rows) {
  console.log(`| ${r.label} | ${r.rows} | ${r.wall_s} | ${r.build_ms} | ${r.store_ms} | ${r.index_ms} | ${r.rss_mb} | ${r.peak_rss_mb} |`);
}
