//! The SQLite [`DocStore`]: tables `docs` (metadata) and `doc_chunks` in `<data>/crm.sqlite3`, WAL mode.
//!
//! Writes go through one writer thread that commits whatever is queued in one transaction (group commit):
//! a burst of changes costs one fsync, and every `append` returns only after its transaction committed.
//! Reads use their own connection (WAL lets them run beside the writer). The file is shared with the
//! accounts tables; each part keeps its own migration table.

use rusqlite::{params, Connection, OptionalExtension};
use std::path::Path;
use std::sync::{mpsc, Mutex};

use super::{Chunks, DocKind, DocMeta, DocStore, StoreError};
use app::domain::{DocId, RecordKind, UserId};

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
    // Record archive (issue 10): lists skip archived records without loading them.
    "ALTER TABLE docs ADD COLUMN archived INTEGER NOT NULL DEFAULT 0;",
];

/// How many queued writes one transaction takes at most.
const MAX_BATCH: usize = 512;

enum Op {
    Append { id: DocId, chunk: Vec<u8>, meta: DocMeta },
    Compact { id: DocId, snapshot: Vec<u8>, upto_seq: u64 },
}

struct Job {
    op: Op,
    reply: mpsc::SyncSender<Result<u64, String>>,
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
        migrate(&mut write_conn)?;
        let reader = Connection::open(path)?;
        configure(&reader)?;
        let (tx, rx) = mpsc::channel::<Job>();
        std::thread::Builder::new().name("docstore-writer".into()).spawn(move || writer_loop(write_conn, rx))?;
        Ok(SqliteStore { writer: Mutex::new(tx), reader: Mutex::new(reader) })
    }

    fn submit(&self, op: Op) -> Result<u64, StoreError> {
        let (reply, answer) = mpsc::sync_channel(1);
        self.writer
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .send(Job { op, reply })
            .map_err(|_| StoreError::Closed)?;
        match answer.recv() {
            Ok(Ok(seq)) => Ok(seq),
            Ok(Err(e)) => Err(StoreError::Io(std::io::Error::other(e))),
            Err(_) => Err(StoreError::Closed),
        }
    }
}

fn run_op(tx: &rusqlite::Transaction<'_>, op: &Op) -> Result<u64, rusqlite::Error> {
    match op {
        Op::Append { id, chunk, meta } => {
            tx.execute("INSERT INTO doc_chunks (doc, data) VALUES (?1, ?2)", params![id.as_str(), chunk])?;
            let seq = tx.last_insert_rowid() as u64;
            tx.execute(
                "INSERT INTO docs (id, kind, record, record_kind, owner, customer, user, archived)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                 ON CONFLICT (id) DO UPDATE SET kind = ?2, record = ?3, record_kind = ?4, owner = ?5,
                   customer = ?6, user = ?7, archived = ?8",
                params![
                    id.as_str(),
                    meta.kind.map_or("unknown", |k| k.as_str()),
                    meta.record.as_ref().map(|d| d.as_str()),
                    meta.record_kind.map(|k| k.as_str()),
                    meta.owner.as_ref().map(|u| u.as_str()),
                    meta.customer.as_ref().map(|d| d.as_str()),
                    meta.user.as_ref().map(|u| u.as_str()),
                    meta.archived,
                ],
            )?;
            Ok(seq)
        }
        Op::Compact { id, snapshot, upto_seq } => {
            tx.execute("DELETE FROM doc_chunks WHERE doc = ?1 AND seq <= ?2", params![id.as_str(), *upto_seq as i64])?;
            tx.execute(
                "INSERT INTO doc_chunks (seq, doc, data) VALUES (?1, ?2, ?3)",
                params![*upto_seq as i64, id.as_str(), snapshot],
            )?;
            Ok(*upto_seq)
        }
    }
}

fn writer_loop(mut conn: Connection, rx: mpsc::Receiver<Job>) {
    while let Ok(first) = rx.recv() {
        let mut jobs = vec![first];
        while jobs.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(j) => jobs.push(j),
                Err(_) => break,
            }
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

fn meta_from_row(row: &rusqlite::Row<'_>) -> Result<(String, DocMeta), rusqlite::Error> {
    let id: String = row.get(0)?;
    let kind: String = row.get(1)?;
    let record: Option<String> = row.get(2)?;
    let record_kind: Option<String> = row.get(3)?;
    let owner: Option<String> = row.get(4)?;
    let customer: Option<String> = row.get(5)?;
    let user: Option<String> = row.get(6)?;
    let archived: bool = row.get(7)?;
    Ok((
        id,
        DocMeta {
            kind: DocKind::parse(&kind).ok(),
            record: record.and_then(|s| DocId::parse(&s).ok()),
            record_kind: record_kind.and_then(|s| RecordKind::parse(&s).ok()),
            owner: owner.map(UserId::new),
            customer: customer.and_then(|s| DocId::parse(&s).ok()),
            user: user.map(UserId::new),
            archived,
        },
    ))
}

impl DocStore for SqliteStore {
    fn append(&self, id: &DocId, chunk: &[u8], meta: &DocMeta) -> Result<u64, StoreError> {
        self.submit(Op::Append { id: id.clone(), chunk: chunk.to_vec(), meta: meta.clone() })
    }

    fn append_batch(&self, items: &[(DocId, Vec<u8>, DocMeta)]) -> Result<Vec<u64>, StoreError> {
        // Queue everything first so the writer commits them in a few large transactions.
        let mut answers = Vec::with_capacity(items.len());
        {
            let writer = self.writer.lock().unwrap_or_else(|e| e.into_inner());
            for (id, chunk, meta) in items {
                let (reply, answer) = mpsc::sync_channel(1);
                let op = Op::Append { id: id.clone(), chunk: chunk.clone(), meta: meta.clone() };
                writer.send(Job { op, reply }).map_err(|_| StoreError::Closed)?;
                answers.push(answer);
            }
        }
        answers
            .into_iter()
            .map(|a| match a.recv() {
                Ok(Ok(seq)) => Ok(seq),
                Ok(Err(e)) => Err(StoreError::Io(std::io::Error::other(e))),
                Err(_) => Err(StoreError::Closed),
            })
            .collect()
    }

    fn compact(&self, id: &DocId, snapshot: &[u8], upto_seq: u64) -> Result<(), StoreError> {
        self.submit(Op::Compact { id: id.clone(), snapshot: snapshot.to_vec(), upto_seq }).map(|_| ())
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
        let mut stmt = conn
            .prepare("SELECT id, kind, record, record_kind, owner, customer, user, archived FROM docs ORDER BY id")?;
        let rows = stmt.query_map([], meta_from_row)?;
        let mut out = Vec::new();
        for row in rows {
            let (id, meta) = row?;
            let id = DocId::parse(&id).map_err(|e| StoreError::Corrupt { id: id.clone(), reason: e.to_string() })?;
            out.push((id, meta));
        }
        Ok(out)
    }
}
