//! The SQLite [`DocStore`]: tables `docs` (metadata) and `doc_chunks` in `<data>/crm.sqlite3`, WAL mode.
//!
//! Writes go through one writer thread that commits whatever is queued in one transaction (group commit):
//! a burst of changes costs one fsync, and every `append` returns only after its transaction committed.
//! Reads use their own connection (WAL lets them run beside the writer). The file is shared with the
//! accounts tables; each part keeps its own migration table.
//!
//! Test knob: `CRM_TEST_COMMIT_DELAY_MS=N` (read once at open, honoured only when set) makes the writer wait
//! N ms before each transaction that holds a client's live edit, so a test can kill the relay after a change was forwarded and before it
//! was committed (`server/tests/sync_forward.rs`). A warning is logged when it is active.

use rusqlite::{params, Connection, OptionalExtension};
use std::path::Path;
use std::sync::{mpsc, Mutex};
use std::time::Duration;

use tokio::sync::oneshot;

use super::{Chunks, DocKind, DocMeta, DocStore, Origin, Pending, StoreError};
use app::domain::history::{Author, Provenance};
use app::domain::ops::{IssuedBlock, NumberBlock};
use app::domain::{DocId, RecordKind, StageId, Timestamp, UserId};
use automerge::ChangeHash;

/// Migrations, applied in order once each (recorded in `docstore_migrations`).
const MIGRATIONS: &[&str] = &[
    "CREATE TABLE docs (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        record TEXT,
        record_kind TEXT,
        owner TEXT,
        customer TEXT,
        user TEXT
    );
    CREATE TABLE doc_chunks (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        doc TEXT NOT NULL,
        data BLOB NOT NULL
    );
    CREATE INDEX doc_chunks_by_doc ON doc_chunks (doc, seq);",
    // Record numbers: each record's number beside its metadata (filled for older stores at open), the
    // company's counter per prefix and year, and who got which block.
    "ALTER TABLE docs ADD COLUMN number TEXT;
    CREATE TABLE number_counters (
        prefix TEXT NOT NULL,
        year INTEGER NOT NULL,
        next INTEGER NOT NULL,
        PRIMARY KEY (prefix, year)
    );
    CREATE TABLE number_blocks (
        prefix TEXT NOT NULL,
        year INTEGER NOT NULL,
        first INTEGER NOT NULL,
        last INTEGER NOT NULL,
        user TEXT NOT NULL
    );",
    // Record archive (issue 10): lists skip archived records without loading them.
    "ALTER TABLE docs ADD COLUMN archived INTEGER NOT NULL DEFAULT 0;",
    // Each deal's stage (issue 11: a pipeline change may not strand deals; filled for older stores at open).
    "ALTER TABLE docs ADD COLUMN stage TEXT;",
    // Provenance (issue 13): who sent each accepted change (`user` NULL: the relay itself) and when it
    // arrived, written in the transaction that stores the change. Changes stored before have no row.
    "CREATE TABLE doc_provenance (
        doc TEXT NOT NULL,
        change BLOB NOT NULL,
        user TEXT,
        received_at INTEGER NOT NULL,
        PRIMARY KEY (doc, change)
    ) WITHOUT ROWID;",
    // Erasure of personal data (issue 10): leads and contacts whose `pii` companion was erased.
    "ALTER TABLE docs ADD COLUMN pii_erased INTEGER NOT NULL DEFAULT 0;",
];

/// How many queued writes one transaction takes at most.
const MAX_BATCH: usize = 512;

enum Op {
    /// `live`: a client's change on the live-edit path (`submit_append`); only those wait for the test knob.
    Append {
        id: DocId,
        chunk: Vec<u8>,
        meta: DocMeta,
        /// Boxed: most of the job's size otherwise, and compactions and reservations carry none.
        origin: Box<Origin>,
        live: bool,
    },
    Compact {
        id: DocId,
        snapshot: Vec<u8>,
        upto_seq: u64,
    },
    /// Removes a document: its chunks and its metadata row.
    Delete {
        id: DocId,
    },
    /// Answers the first number of the block.
    Reserve {
        user: UserId,
        prefix: String,
        year: i32,
        floor: u32,
        count: u32,
    },
}

struct Job {
    op: Op,
    reply: oneshot::Sender<Result<u64, String>>,
}

/// Documents in SQLite.
pub struct SqliteStore {
    writer: Mutex<mpsc::Sender<Job>>,
    reader: Mutex<Connection>,
}

fn configure(conn: &Connection) -> Result<(), rusqlite::Error> {
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    // FULL: a committed transaction survives power loss, not only a process crash.
    conn.pragma_update(None, "synchronous", "FULL")?;
    Ok(())
}

fn migrate(conn: &mut Connection) -> Result<(), rusqlite::Error> {
    conn.execute_batch("CREATE TABLE IF NOT EXISTS docstore_migrations (version INTEGER PRIMARY KEY)")?;
    let done: i64 = conn.query_row("SELECT COALESCE(MAX(version), 0) FROM docstore_migrations", [], |r| r.get(0))?;
    for (i, sql) in MIGRATIONS.iter().enumerate() {
        let version = i as i64 + 1;
        if version > done {
            let tx = conn.transaction()?;
            tx.execute_batch(sql)?;
            tx.execute("INSERT INTO docstore_migrations (version) VALUES (?1)", [version])?;
            tx.commit()?;
        }
    }
    Ok(())
}

impl SqliteStore {
    /// Opens the database file, runs pending migrations and starts the writer thread.
    pub fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        let mut write_conn = Connection::open(path)?;
        configure(&write_conn)?;
        // Deleted rows (an erased person's data, compacted chunks) are overwritten with zeros, not left in
        // free pages of the file.
        write_conn.pragma_update(None, "secure_delete", "ON")?;
        migrate(&mut write_conn)?;
        fill_numbers(&mut write_conn)?;
        let reader = Connection::open(path)?;
        configure(&reader)?;
        let (tx, rx) = mpsc::channel::<Job>();
        let delay = commit_delay();
        std::thread::Builder::new().name("docstore-writer".into()).spawn(move || writer_loop(write_conn, rx, delay))?;
        Ok(SqliteStore { writer: Mutex::new(tx), reader: Mutex::new(reader) })
    }

    /// Queues `op` for the writer; the answer arrives once its transaction committed.
    fn queue(&self, op: Op) -> oneshot::Receiver<Result<u64, String>> {
        let (reply, answer) = oneshot::channel();
        // A send error drops `reply`, so the receiver reads as "writer stopped" (`StoreError::Closed`).
        let _ = self.writer.lock().unwrap_or_else(|e| e.into_inner()).send(Job { op, reply });
        answer
    }

    fn submit(&self, op: Op) -> Result<u64, StoreError> {
        answer_of(self.queue(op).blocking_recv())
    }
}

fn answer_of(answer: Result<Result<u64, String>, oneshot::error::RecvError>) -> Result<u64, StoreError> {
    match answer {
        Ok(Ok(seq)) => Ok(seq),
        Ok(Err(e)) => Err(StoreError::Io(std::io::Error::other(e))),
        Err(_) => Err(StoreError::Closed),
    }
}

/// The test-only commit delay (`CRM_TEST_COMMIT_DELAY_MS`), if set.
fn commit_delay() -> Option<Duration> {
    let ms: u64 = std::env::var("CRM_TEST_COMMIT_DELAY_MS").ok()?.trim().parse().ok()?;
    tracing::warn!(ms, "CRM_TEST_COMMIT_DELAY_MS is set: every store commit waits (tests only)");
    Some(Duration::from_millis(ms))
}

fn run_op(tx: &rusqlite::Transaction<'_>, op: &Op) -> Result<u64, rusqlite::Error> {
    match op {
        Op::Append { id, chunk, meta, origin, .. } => {
            tx.execute("INSERT INTO doc_chunks (doc, data) VALUES (?1, ?2)", params![id.as_str(), chunk])?;
            let seq = tx.last_insert_rowid() as u64;
            let mut prov = tx.prepare_cached(
                "INSERT OR IGNORE INTO doc_provenance (doc, change, user, received_at) VALUES (?1, ?2, ?3, ?4)",
            )?;
            let user = origin.author.user().map(|u| u.as_str());
            for h in &origin.changes {
                prov.execute(params![id.as_str(), h.as_ref(), user, origin.received_at.millis()])?;
            }
            drop(prov);
            tx.execute(
                "INSERT INTO docs (id, kind, record, record_kind, owner, customer, user, number, archived, stage,
                   pii_erased)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
                 ON CONFLICT (id) DO UPDATE SET kind = ?2, record = ?3, record_kind = ?4, owner = ?5,
                   customer = ?6, user = ?7, number = ?8, archived = ?9, stage = ?10, pii_erased = ?11",
                params![
                    id.as_str(),
                    meta.kind.map_or("unknown", |k| k.as_str()),
                    meta.record.as_ref().map(|d| d.as_str()),
                    meta.record_kind.map(|k| k.as_str()),
                    meta.owner.as_ref().map(|u| u.as_str()),
                    meta.customer.as_ref().map(|d| d.as_str()),
                    meta.user.as_ref().map(|u| u.as_str()),
                    meta.number.as_deref(),
                    meta.archived,
                    meta.stage.as_ref().map(|s| s.as_str()),
                    meta.pii_erased,
                ],
            )?;
            Ok(seq)
        }
        Op::Reserve { user, prefix, year, floor, count } => {
            let next: Option<i64> = tx
                .query_row(
                    "SELECT next FROM number_counters WHERE prefix = ?1 AND year = ?2",
                    params![prefix, year],
                    |r| r.get(0),
                )
                .optional()?;
            let next = next.map_or(1, |n| u32::try_from(n).unwrap_or(u32::MAX));
            let b = NumberBlock::issue(prefix, *year, next, *floor, *count);
            tx.execute(
                "INSERT INTO number_counters (prefix, year, next) VALUES (?1, ?2, ?3)
                 ON CONFLICT (prefix, year) DO UPDATE SET next = ?3",
                params![prefix, year, i64::from(b.last) + 1],
            )?;
            tx.execute(
                "INSERT INTO number_blocks (prefix, year, first, last, user) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![prefix, year, b.first, b.last, user.as_str()],
            )?;
            Ok(u64::from(b.first))
        }
        Op::Compact { id, snapshot, upto_seq } => {
            tx.execute("DELETE FROM doc_chunks WHERE doc = ?1 AND seq <= ?2", params![id.as_str(), *upto_seq as i64])?;
            tx.execute(
                "INSERT INTO doc_chunks (seq, doc, data) VALUES (?1, ?2, ?3)",
                params![*upto_seq as i64, id.as_str(), snapshot],
            )?;
            Ok(*upto_seq)
        }
        Op::Delete { id } => {
            tx.execute("DELETE FROM doc_chunks WHERE doc = ?1", [id.as_str()])?;
            tx.execute("DELETE FROM doc_provenance WHERE doc = ?1", [id.as_str()])?;
            tx.execute("DELETE FROM docs WHERE id = ?1", [id.as_str()])?;
            Ok(0)
        }
    }
}

fn writer_loop(mut conn: Connection, rx: mpsc::Receiver<Job>, delay: Option<Duration>) {
    while let Ok(first) = rx.recv() {
        let mut jobs = vec![first];
        while jobs.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(j) => jobs.push(j),
                Err(_) => break,
            }
        }
        // Only live edits wait: start-up and seeding (plain `append`) must not.
        if let Some(d) = delay.filter(|_| jobs.iter().any(|j| matches!(j.op, Op::Append { live: true, .. }))) {
            std::thread::sleep(d);
        }
        // One transaction for the batch; if it fails as a whole, retry each job alone so one bad write
        // does not fail its neighbours.
        let batch = (|| -> Result<Vec<u64>, rusqlite::Error> {
            let tx = conn.transaction()?;
            let seqs = jobs.iter().map(|j| run_op(&tx, &j.op)).collect::<Result<Vec<_>, _>>()?;
            tx.commit()?;
            Ok(seqs)
        })();
        match batch {
            Ok(seqs) => {
                if jobs.iter().any(|j| matches!(j.op, Op::Delete { .. })) {
                    // Erased data must not linger in the write-ahead log either: copy the (zeroed, see
                    // `secure_delete`) pages back and empty the log. Best effort: a reader may hold it.
                    if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(())) {
                        tracing::warn!(error = %e, "checkpoint after a deletion failed");
                    }
                }
                for (j, s) in jobs.into_iter().zip(seqs) {
                    let _ = j.reply.send(Ok(s));
                }
            }
            Err(_) => {
                for j in jobs {
                    let one = (|| -> Result<u64, rusqlite::Error> {
                        let tx = conn.transaction()?;
                        let s = run_op(&tx, &j.op)?;
                        tx.commit()?;
                        Ok(s)
                    })();
                    let _ = j.reply.send(one.map_err(|e| e.to_string()));
                }
            }
        }
    }
}

/// Stores written before numbers (and deals' stages) were kept beside the metadata: read each opportunity's
/// and customer's number, and each opportunity's stage, from its document once.
fn fill_numbers(conn: &mut Connection) -> Result<(), StoreError> {
    let ids: Vec<String> = conn
        .prepare(
            "SELECT id FROM docs WHERE (kind IN ('opportunity', 'customer') AND number IS NULL)
               OR (kind = 'opportunity' AND stage IS NULL)",
        )?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    if ids.is_empty() {
        return Ok(());
    }
    let tx = conn.transaction()?;
    for id in ids {
        let chunks: Vec<Vec<u8>> = tx
            .prepare_cached("SELECT data FROM doc_chunks WHERE doc = ?1 ORDER BY seq")?
            .query_map([&id], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        let Ok(doc_id) = DocId::parse(&id) else { continue };
        let doc = Chunks { chunks, last_seq: 0 }.load(&doc_id)?;
        // Records without a number stay NULL (and are looked at again next start: there are none in practice).
        let meta = DocMeta::read(&doc);
        if let Some(n) = meta.number {
            tx.execute("UPDATE docs SET number = ?1 WHERE id = ?2", params![n, id])?;
        }
        if let Some(stage) = meta.stage {
            tx.execute("UPDATE docs SET stage = ?1 WHERE id = ?2", params![stage.as_str(), id])?;
        }
    }
    tx.commit()?;
    Ok(())
}

fn meta_from_row(row: &rusqlite::Row<'_>) -> Result<(String, DocMeta), rusqlite::Error> {
    let id: String = row.get(0)?;
    let kind: String = row.get(1)?;
    let record: Option<String> = row.get(2)?;
    let record_kind: Option<String> = row.get(3)?;
    let owner: Option<String> = row.get(4)?;
    let customer: Option<String> = row.get(5)?;
    let user: Option<String> = row.get(6)?;
    let number: Option<String> = row.get(7)?;
    let archived: bool = row.get(8)?;
    let stage: Option<String> = row.get(9)?;
    let pii_erased: bool = row.get(10)?;
    Ok((
        id,
        DocMeta {
            kind: DocKind::parse(&kind).ok(),
            record: record.and_then(|s| DocId::parse(&s).ok()),
            record_kind: record_kind.and_then(|s| RecordKind::parse(&s).ok()),
            owner: owner.map(UserId::new),
            customer: customer.and_then(|s| DocId::parse(&s).ok()),
            user: user.map(UserId::new),
            number,
            archived,
            stage: stage.map(StageId::new),
            pii_erased,
        },
    ))
}

impl DocStore for SqliteStore {
    fn append(&self, id: &DocId, chunk: &[u8], meta: &DocMeta, origin: &Origin) -> Result<u64, StoreError> {
        let op = Op::Append {
            id: id.clone(),
            chunk: chunk.to_vec(),
            meta: meta.clone(),
            origin: Box::new(origin.clone()),
            live: false,
        };
        self.submit(op)
    }

    fn append_batch(&self, items: &[(DocId, Vec<u8>, DocMeta, Origin)]) -> Result<Vec<u64>, StoreError> {
        // Queue everything first so the writer commits them in a few large transactions.
        let answers: Vec<_> = items
            .iter()
            .map(|(id, chunk, meta, origin)| {
                self.queue(Op::Append {
                    id: id.clone(),
                    chunk: chunk.clone(),
                    meta: meta.clone(),
                    origin: Box::new(origin.clone()),
                    live: false,
                })
            })
            .collect();
        answers.into_iter().map(|a| answer_of(a.blocking_recv())).collect()
    }

    fn submit_append(&self, id: DocId, chunk: Vec<u8>, meta: DocMeta, origin: Origin) -> Pending {
        Pending::Queued(self.queue(Op::Append { id, chunk, meta, origin: Box::new(origin), live: true }))
    }

    fn provenance(&self, id: &DocId) -> Result<Vec<(ChangeHash, Provenance)>, StoreError> {
        let conn = self.reader.lock().unwrap_or_else(|e| e.into_inner());
        let mut stmt = conn.prepare_cached("SELECT change, user, received_at FROM doc_provenance WHERE doc = ?1")?;
        let rows = stmt.query_map([id.as_str()], |r| {
            Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, Option<String>>(1)?, r.get::<_, i64>(2)?))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (hash, user, at) = row?;
            let hash = ChangeHash::try_from(hash.as_slice())
                .map_err(|e| StoreError::Corrupt { id: id.to_string(), reason: format!("provenance: {e}") })?;
            let author = user.map_or(Author::Relay, |u| Author::User(UserId::new(u)));
            out.push((hash, Provenance { author, received_at: Timestamp::from_millis(at) }));
        }
        Ok(out)
    }

    fn compact(&self, id: &DocId, snapshot: &[u8], upto_seq: u64) -> Result<(), StoreError> {
        self.submit(Op::Compact { id: id.clone(), snapshot: snapshot.to_vec(), upto_seq }).map(|_| ())
    }

    fn delete(&self, id: &DocId) -> Result<(), StoreError> {
        self.submit(Op::Delete { id: id.clone() }).map(|_| ())
    }

    fn load(&self, id: &DocId) -> Result<Option<Chunks>, StoreError> {
        let conn = self.reader.lock().unwrap_or_else(|e| e.into_inner());
        let mut stmt = conn.prepare_cached("SELECT seq, data FROM doc_chunks WHERE doc = ?1 ORDER BY seq")?;
        let rows = stmt.query_map([id.as_str()], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, Vec<u8>>(1)?)))?;
        let mut out = Chunks::default();
        for row in rows {
            let (seq, data) = row?;
            out.last_seq = seq as u64;
            out.chunks.push(data);
        }
        if out.chunks.is_empty() {
            let exists: Option<i64> =
                conn.query_row("SELECT 1 FROM docs WHERE id = ?1", [id.as_str()], |r| r.get(0)).optional()?;
            return Ok(exists.map(|_| out));
        }
        Ok(Some(out))
    }

    fn list(&self) -> Result<Vec<(DocId, DocMeta)>, StoreError> {
        let conn = self.reader.lock().unwrap_or_else(|e| e.into_inner());
        let mut stmt = conn.prepare(
            "SELECT id, kind, record, record_kind, owner, customer, user, number, archived, stage, pii_erased
             FROM docs ORDER BY id",
        )?;
        let rows = stmt.query_map([], meta_from_row)?;
        let mut out = Vec::new();
        for row in rows {
            let (id, meta) = row?;
            let id = DocId::parse(&id).map_err(|e| StoreError::Corrupt { id: id.clone(), reason: e.to_string() })?;
            out.push((id, meta));
        }
        Ok(out)
    }

    fn reserve_numbers(
        &self,
        user: &UserId,
        prefix: &str,
        year: i32,
        floor: u32,
        count: u32,
    ) -> Result<NumberBlock, StoreError> {
        let op = Op::Reserve { user: user.clone(), prefix: prefix.to_string(), year, floor, count };
        let first = self.submit(op)? as u32;
        // The writer issued `first..`: the same block, from the same rule.
        Ok(NumberBlock::issue(prefix, year, first, 0, count))
    }

    fn issued_numbers(&self) -> Result<Vec<IssuedBlock>, StoreError> {
        let conn = self.reader.lock().unwrap_or_else(|e| e.into_inner());
        let mut stmt = conn.prepare("SELECT prefix, year, first, last, user FROM number_blocks ORDER BY rowid")?;
        let rows = stmt.query_map([], |r| {
            Ok(IssuedBlock {
                user: UserId::new(r.get::<_, String>(4)?),
                block: NumberBlock { prefix: r.get(0)?, year: r.get(1)?, first: r.get(2)?, last: r.get(3)? },
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}
