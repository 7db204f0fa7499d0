//! `crm-bench`: relay figures under load. Prints numbers, asserts nothing.
//!
//! 1. Prepares a data folder in-process: one directory of N users (teams of `--team-size`: a manager and
//!    reps), `--records` opportunities (each with its money companion) spread over the reps, plus a
//!    `bigrep` who owns `--big-slice` of them; accounts and session tokens for everyone.
//! 2. Starts the real `crm-server` binary on that folder (port 0) and connects N native clients; each opens
//!    its slice (reps: their deals; managers: their team's deals).
//! 3. Sends `--rate` edits per second (aggregate, random rep, random own deal) for `--seconds`, and measures
//!    the time from send to arrival at every other connected client that may read the deal (the manager).
//! 4. Reports relay RSS and CPU, then the initial sync of a new device for `bigrep`.
//!
//! Run: `cargo run --release -p server --bin crm-bench -- --clients 100 --rate 100`.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use app::domain::docs::{init_companion, init_record};
use app::domain::{
    Directory, DocId, Money, Opportunity, OpportunityMoney, Role, StageId, Team, TeamId, Timestamp, User, UserId,
};
use automerge::transaction::Transactable;
use automerge::{AutoCommit, ReadDoc, ROOT};
use chrono::Utc;
use clap::Parser;
use server::accounts::{Account, AccountStore, Session, SqliteAccounts};
use server::docstore::{open_sqlite, DocStore};
use server::sync::{Hub, HubConfig};
use server::testing::{temp_dir, RelayProcess, SyncClient};
use tokio::sync::mpsc;

#[derive(Parser, Debug)]
#[command(name = "crm-bench", about = "Relay load figures (prints, asserts nothing)")]
struct Args {
    /// Connected clients (one user each).
    #[arg(long, default_value_t = 100)]
    clients: usize,
    /// Opportunities in the company (each also has a money companion).
    #[arg(long, default_value_t = 30_000)]
    records: usize,
    /// Aggregate edits per second.
    #[arg(long, default_value_t = 100)]
    rate: u32,
    /// Length of the edit phase.
    #[arg(long, default_value_t = 20)]
    seconds: u64,
    /// Records owned by `bigrep`, whose new device's initial sync is timed.
    #[arg(long, default_value_t = 2_000)]
    big_slice: usize,
    /// Users per team (one manager, the rest reps).
    #[arg(long, default_value_t = 10)]
    team_size: usize,
    /// Data folder (default: a fresh temp folder, removed afterwards).
    #[arg(long)]
    data: Option<PathBuf>,
    /// The relay binary (default: `crm-server` next to this binary).
    #[arg(long)]
    server_bin: Option<PathBuf>,
}

struct Plan {
    users: Vec<User>,
    teams: Vec<Team>,
    /// Each user's opportunities (main doc ids) they keep open: reps their own, managers their team's.
    open: HashMap<UserId, Vec<DocId>>,
    /// Each rep's own opportunities (what they edit).
    owned: HashMap<UserId, Vec<DocId>>,
    /// Who else may read each deal and has it open (the team's manager).
    readers: HashMap<DocId, Vec<UserId>>,
    big: Vec<DocId>,
}

fn plan(args: &Args) -> Plan {
    let team_size = args.team_size.max(2);
    let teams_n = args.clients.div_ceil(team_size);
    let mut users =
        vec![User { id: UserId::new("admin"), name: "admin".into(), role: Role::Admin, team: None, disabled: false }];
    let mut teams = Vec::new();
    let mut reps = Vec::new();
    let mut managers: HashMap<UserId, UserId> = HashMap::new();
    let mut n = 0;
    for t in 0..teams_n {
        let team = TeamId::new(format!("t{t:04}"));
        let manager = UserId::new(format!("m{t:04}"));
        teams.push(Team { id: team.clone(), name: team.to_string(), manager: Some(manager.clone()), parent: None });
        for j in 0..team_size {
            if n == args.clients {
                break;
            }
            n += 1;
            let (id, role) = if j == 0 {
                (manager.clone(), Role::SalesManager)
            } else {
                (UserId::new(format!("r{t:04}_{j:02}")), Role::SalesRep)
            };
            if role == Role::SalesRep {
                reps.push(id.clone());
                managers.insert(id.clone(), manager.clone());
            }
            users.push(User { id, name: format!("user {n}"), role, team: Some(team.clone()), disabled: false });
        }
    }
    teams.push(Team { id: TeamId::new("big"), name: "big".into(), manager: None, parent: None });
    users.push(User {
        id: UserId::new("bigrep"),
        name: "big rep".into(),
        role: Role::SalesRep,
        team: Some(TeamId::new("big")),
        disabled: false,
    });
    let mut open: HashMap<UserId, Vec<DocId>> = HashMap::new();
    let mut owned: HashMap<UserId, Vec<DocId>> = HashMap::new();
    let mut readers: HashMap<DocId, Vec<UserId>> = HashMap::new();
    let mut big = Vec::new();
    for i in 0..args.records {
        let mut bytes = [0u8; 16];
        bytes[..8].copy_from_slice(&(i as u64).to_le_bytes());
        bytes[8..].copy_from_slice(&0xbe_7c_u64.to_le_bytes());
        let id = DocId::from_bytes(bytes);
        if i < args.big_slice || reps.is_empty() {
            big.push(id);
            continue;
        }
        let rep = &reps[i % reps.len()];
        owned.entry(rep.clone()).or_default().push(id.clone());
        open.entry(rep.clone()).or_default().push(id.clone());
        let m = &managers[rep];
        open.entry(m.clone()).or_default().push(id.clone());
        readers.entry(id).or_default().push(m.clone());
    }
    Plan { users, teams, open, owned, readers, big }
}

async fn prepare(args: &Args, plan: &Plan, data: &std::path::Path) -> anyhow::Result<HashMap<UserId, String>> {
    let t = Instant::now();
    let store: Arc<dyn DocStore> = Arc::new(open_sqlite(data)?);
    let hub = Hub::open(store, HubConfig::default()).await?;
    let (users, teams) = (plan.users.clone(), plan.teams.clone());
    hub.update_directory(move |d| {
        d.users = users;
        d.teams = teams;
    })
    .await?;
    let dir: Directory = hub.directory();
    let now = Timestamp::from_millis(Utc::now().timestamp_millis());
    let mut owners: HashMap<DocId, UserId> = HashMap::new();
    for (u, ids) in &plan.owned {
        for id in ids {
            owners.insert(id.clone(), u.clone());
        }
    }
    let all: Vec<DocId> = plan.big.iter().cloned().chain(owners.keys().cloned()).collect();
    let mut batch = Vec::new();
    for (i, id) in all.iter().enumerate() {
        let owner = owners.get(id).cloned().unwrap_or_else(|| UserId::new("bigrep"));
        let opp = Opportunity::new(
            &format!("Deal {i}"),
            &format!("OPP-{i:06}"),
            &StageId::new("initial"),
            Some(owner.clone()),
            &owner,
            now,
            &dir,
        )?;
        let mut main = AutoCommit::new();
        init_record(&mut main, &opp)?;
        let money = OpportunityMoney {
            expected_amount: Some(Money::new(100 * i as i64, "CNY")?),
            win_probability: 10,
            quotes: vec![],
        };
        let mut comp = AutoCommit::new();
        init_companion(&mut comp, id, now, &owner, &money)?;
        batch.push((id.clone(), main.document().clone()));
        batch.push((id.companion(app::domain::FieldGroup::Money), comp.document().clone()));
    }
    hub.create_docs(batch, app::domain::history::Author::Relay).await?;
    drop(hub);
    // Accounts and sessions, straight into the accounts tables (one password hash shared by all: a bench).
    let accounts = SqliteAccounts::open(&data.join("crm.sqlite3"))?;
    let hash = server::auth::password::hash("bench")?;
    let mut tokens = HashMap::new();
    for u in &plan.users {
        accounts.insert_account(&Account {
            user: u.id.clone(),
            password_hash: hash.clone(),
            disabled: false,
            created_at: Utc::now(),
            must_change_password: false,
        })?;
        let (token, sid) = server::auth::token::new_token();
        accounts.insert_session(&Session {
            id: sid,
            user: u.id.clone(),
            created_at: Utc::now(),
            expires_at: Utc::now() + chrono::Duration::hours(6),
            address: None,
        })?;
        tokens.insert(u.id.clone(), token);
    }
    println!(
        "prepared {} users, {} records ({} documents) in {:.1} s",
        plan.users.len(),
        args.records,
        args.records * 2,
        t.elapsed().as_secs_f64()
    );
    Ok(tokens)
}

fn proc_figures(pid: u32) -> (u64, u64) {
    let rss_kb = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmRSS:")).and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0);
    let ticks = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| {
            let rest = s.rsplit_once(')')?.1.split_whitespace().collect::<Vec<_>>();
            Some(rest.get(11)?.parse::<u64>().ok()? + rest.get(12)?.parse::<u64>().ok()?)
        })
        .unwrap_or(0);
    (rss_kb, ticks)
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

struct Edit {
    doc: DocId,
    seq: u64,
}

type Shared<T> = Arc<Mutex<T>>;

async fn client_task(
    mut c: SyncClient,
    mut cmds: mpsc::Receiver<Edit>,
    sent: Shared<HashMap<u64, Instant>>,
    latencies: Shared<Vec<Duration>>,
) {
    let mut seen: HashMap<DocId, u64> = HashMap::new();
    loop {
        let far = Instant::now() + Duration::from_secs(3600);
        tokio::select! {
            cmd = cmds.recv() => {
                let Some(Edit { doc, seq }) = cmd else { break };
                seen.insert(doc.clone(), seq);
                sent.lock().unwrap().insert(seq, Instant::now());
                if c.change(&doc, |tx| tx.put(ROOT, "name", format!("e{seq}"))).await.is_err() {
                    break;
                }
            }
            msg = c.next_message(far) => {
                let Ok(msg) = msg else { break };
                let Some(msg) = msg else { continue };
                let doc = match &msg { app::protocol::Message::Sync(s) => Some(s.document_id.clone()), _ => None };
                if c.handle(msg).await.is_err() {
                    break;
                }
                let Some(doc) = doc else { continue };
                let name = c.doc(&doc).and_then(|d| d.get(ROOT, "name").ok().flatten()).and_then(|(v, _)| v.into_string().ok());
                if let Some(seq) = name.and_then(|n| n.strip_prefix('e').and_then(|s| s.parse::<u64>().ok())) {
                    if seen.get(&doc).is_none_or(|s| *s < seq) {
                        seen.insert(doc, seq);
                        if let Some(at) = sent.lock().unwrap().get(&seq) {
                            latencies.lock().unwrap().push(at.elapsed());
                        }
                    }
                }
            }
        }
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let data = args.data.clone().unwrap_or_else(|| temp_dir("bench"));
    let bin = args.server_bin.clone().unwrap_or_else(|| {
        std::env::current_exe()
            .ok()
            .and_then(|p| p.parent().map(|d| d.join("crm-server")))
            .unwrap_or_else(|| "crm-server".into())
    });
    println!(
        "crm-bench: {} clients, {} records, {} edits/s for {} s, data {}",
        args.clients,
        args.records,
        args.rate,
        args.seconds,
        data.display()
    );
    let plan = plan(&args);
    let tokens = prepare(&args, &plan, &data).await?;

    let t = Instant::now();
    let relay = RelayProcess::start(&bin, &data, false).await?;
    let pid = relay.pid().unwrap_or(0);
    // The relay binds before it opens the store: wait until it serves.
    while !matches!(server::testing::http::request(relay.addr, "GET", "/api/health", None, None).await, Ok((200, _))) {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (rss0, _) = proc_figures(pid);
    println!("relay open in {:.1} s (pid {pid}), RSS {:.1} MB", t.elapsed().as_secs_f64(), rss0 as f64 / 1024.0);

    // Connect every client and open its slice.
    let t = Instant::now();
    let sent: Shared<HashMap<u64, Instant>> = Arc::new(Mutex::new(HashMap::new()));
    let latencies: Shared<Vec<Duration>> = Arc::new(Mutex::new(Vec::new()));
    let mut senders: HashMap<UserId, mpsc::Sender<Edit>> = HashMap::new();
    let mut tasks = Vec::new();
    let gate = Arc::new(tokio::sync::Semaphore::new(50));
    let connectors: Vec<_> = plan
        .users
        .iter()
        .filter(|u| u.id.as_str() != "admin" && u.id.as_str() != "bigrep")
        .map(|u| {
            let url = relay.sync_url(&tokens[&u.id]);
            let ids = plan.open.get(&u.id).cloned().unwrap_or_default();
            let id = u.id.clone();
            let gate = gate.clone();
            tokio::spawn(async move {
                // At most 50 clients connecting and syncing at once (a thundering herd measures the kernel).
                let _permit = gate.acquire_owned().await;
                let mut c = SyncClient::connect(&url).await?;
                c.fetch_many(&ids, Duration::from_secs(600)).await?;
                Ok::<_, server::testing::ClientError>((id, c))
            })
        })
        .collect();
    let mut docs_open = 0;
    for j in connectors {
        let (id, c) = j.await??;
        docs_open += c.docs.len();
        let (tx, rx) = mpsc::channel(1024);
        senders.insert(id, tx);
        tasks.push(tokio::spawn(client_task(c, rx, sent.clone(), latencies.clone())));
    }
    let (rss1, _) = proc_figures(pid);
    println!(
        "{} clients connected with {} documents open in {:.1} s; relay RSS {:.1} MB",
        senders.len(),
        docs_open,
        t.elapsed().as_secs_f64(),
        rss1 as f64 / 1024.0
    );

    // The edit phase.
    let editors: Vec<(&UserId, &Vec<DocId>)> = plan.owned.iter().filter(|(u, _)| senders.contains_key(*u)).collect();
    let (_, ticks0) = proc_figures(pid);
    let t0 = Instant::now();
    let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / args.rate.max(1) as f64));
    let mut seq = 0u64;
    let mut expected = 0usize;
    let mut rss_peak = 0;
    while t0.elapsed() < Duration::from_secs(args.seconds) && !editors.is_empty() {
        tick.tick().await;
        seq += 1;
        let (user, ids) = editors[rand::random_range(0..editors.len())];
        let doc = ids[rand::random_range(0..ids.len())].clone();
        expected += plan.readers.get(&doc).map_or(0, |r| r.iter().filter(|r| senders.contains_key(*r)).count());
        let _ = senders[user].try_send(Edit { doc, seq });
        if seq.is_multiple_of(100) {
            rss_peak = rss_peak.max(proc_figures(pid).0);
        }
    }
    let elapsed = t0.elapsed();
    let (rss2, ticks1) = proc_figures(pid);
    tokio::time::sleep(Duration::from_secs(2)).await;
    let mut lat = latencies.lock().unwrap().clone();
    lat.sort();
    let cpu = (ticks1 - ticks0) as f64 / 100.0 / elapsed.as_secs_f64() * 100.0;
    println!(
        "edits: {seq} sent in {:.1} s ({:.0}/s); deliveries {} of {expected} expected",
        elapsed.as_secs_f64(),
        seq as f64 / elapsed.as_secs_f64(),
        lat.len()
    );
    println!(
        "fan-out latency: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        percentile(&lat, 0.5),
        percentile(&lat, 0.99),
        percentile(&lat, 1.0)
    );
    println!(
        "relay during edits: CPU {cpu:.0}% of one core, RSS {:.1} MB (peak {:.1} MB)",
        rss2 as f64 / 1024.0,
        rss_peak.max(rss2) as f64 / 1024.0
    );

    // Initial sync of a new device for bigrep.
    let t = Instant::now();
    let mut c = SyncClient::connect(&relay.sync_url(&tokens[&UserId::new("bigrep")])).await?;
    let index = Hub::index_doc_id_for(&UserId::new("bigrep"));
    c.fetch_many(std::slice::from_ref(&index), Duration::from_secs(60)).await?;
    let listed = server::testing::read_index(c.doc(&index).expect("index"));
    let ids: Vec<DocId> = listed.iter().map(|i| i.id.clone()).collect();
    c.fetch_many(&ids, Duration::from_secs(600)).await?;
    let (rss3, _) = proc_figures(pid);
    println!(
        "initial sync for bigrep: index + {} documents ({} records) in {:.2} s; relay RSS {:.1} MB",
        ids.len(),
        listed.iter().filter(|i| i.kind == "opportunity").count(),
        t.elapsed().as_secs_f64(),
        rss3 as f64 / 1024.0
    );
    drop(senders);
    for t in tasks {
        t.abort();
    }
    relay.kill().await;
    if args.data.is_none() {
        let _ = std::fs::remove_dir_all(&data);
    }
    Ok(())
}
