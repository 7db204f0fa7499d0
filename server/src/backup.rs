//! `crm-server backup` and `crm-server restore`: the whole store (documents, accounts, sessions, audit
//! log: one SQLite file, `crm.sqlite3`) copied out and brought back.
//!
//! A backup is SQLite's `VACUUM INTO` on a read-only connection: one read transaction, so the copy is
//! consistent while the relay keeps writing (WAL mode lets the reader and the writer run side by side),
//! and the result is a compact, self-contained database file. It is written beside the target and
//! renamed into place only once it checks out, so a half-written file never has the backup's name.
//!
//! Restore checks the file (integrity, the tables the relay needs) and refuses to replace a store that
//! holds anything unless told `--force`; the relay must be stopped while it runs.

use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context};
use rusqlite::{Connection, OpenFlags};

/// The store subcommands (the relay itself runs without one).
#[derive(Debug, clap::Parser)]
#[command(name = "crm-server", about = "Local-first CRM relay: store backups")]
pub enum StoreCommand {
    /// Writes a consistent copy of the store to FILE; safe while the relay runs.
    Backup {
        /// The relay's data folder.
        #[arg(long, env = "CRM_DATA", default_value = "./data")]
        data: PathBuf,
        /// The backup file to write (must not exist).
        #[arg(long)]
        to: PathBuf,
    },
    /// Brings a backup back into a data folder. Stop the relay first.
    Restore {
        /// The backup file.
        #[arg(long)]
        from: PathBuf,
        /// The data folder to restore into (created if missing).
        #[arg(long, env = "CRM_DATA", default_value = "./data")]
        data: PathBuf,
        /// Replace a store that already holds documents or accounts.
        #[arg(long, default_value_t = false)]
        force: bool,
    },
}

impl StoreCommand {
    /// The command, when the first argument names one; `None` runs the relay.
    pub fn from_args() -> Option<StoreCommand> {
        let first = std::env::args().nth(1)?;
        matches!(first.as_str(), "backup" | "restore").then(<StoreCommand as clap::Parser>::parse)
    }

    /// Runs it; the text says what was done.
    pub fn run(self) -> anyhow::Result<String> {
        match self {
            StoreCommand::Backup { data, to } => {
                let n = backup(&data, &to)?;
                Ok(format!("backed up {} documents and {} accounts to {}", n.documents, n.accounts, to.display()))
            }
            StoreCommand::Restore { from, data, force } => {
                let n = restore(&from, &data, force)?;
                Ok(format!("restored {} documents and {} accounts into {}", n.documents, n.accounts, data.display()))
            }
        }
    }
}

/// What a store holds, in short.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Counts {
    pub documents: u64,
    pub accounts: u64,
}

const STORE_FILE: &str = "crm.sqlite3";

fn count(conn: &Connection, table: &str) -> anyhow::Result<u64> {
    let exists: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1)",
        [table],
        |r| r.get(0),
    )?;
    if !exists {
        return Ok(0);
    }
    Ok(conn.query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get::<_, i64>(0))? as u64)
}

/// Opens `path` read-only and checks it is a whole relay store; returns what it holds.
fn check(path: &Path) -> anyhow::Result<Counts> {
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .with_context(|| format!("cannot open {}", path.display()))?;
    let ok: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .with_context(|| format!("{} is not a SQLite database", path.display()))?;
    if ok != "ok" {
        bail!("{} is damaged: {ok}", path.display());
    }
    let tables: i64 = conn.query_row(
        "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name IN ('docs', 'doc_chunks')",
        [],
        |r| r.get(0),
    )?;
    if tables != 2 {
        bail!("{} is not a CRM store (no document tables)", path.display());
    }
    Ok(Counts { documents: count(&conn, "docs")?, accounts: count(&conn, "accounts")? })
}

/// Writes a consistent copy of the store in `data` to `to`.
pub fn backup(data: &Path, to: &Path) -> anyhow::Result<Counts> {
    let source = data.join(STORE_FILE);
    if !source.is_file() {
        bail!("no store at {}", source.display());
    }
    if to.exists() {
        bail!("{} exists already; choose a new file name", to.display());
    }
    let partial = to.with_extension("partial");
    let _ = std::fs::remove_file(&partial);
    let conn = Connection::open_with_flags(&source, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .with_context(|| format!("cannot open {}", source.display()))?;
    conn.busy_timeout(std::time::Duration::from_secs(30))?;
    let target = partial.to_str().ok_or_else(|| anyhow!("the backup path is not UTF-8"))?;
    conn.execute("VACUUM INTO ?1", [target]).with_context(|| format!("cannot write {}", partial.display()))?;
    drop(conn);
    let counts = check(&partial).inspect_err(|_| {
        let _ = std::fs::remove_file(&partial);
    })?;
    std::fs::rename(&partial, to).with_context(|| format!("cannot name the backup {}", to.display()))?;
    Ok(counts)
}

/// Copies the backup `from` into `data` as its store. Refuses a store that holds anything unless `force`.
pub fn restore(from: &Path, data: &Path, force: bool) -> anyhow::Result<Counts> {
    let counts = check(from)?;
    std::fs::create_dir_all(data).with_context(|| format!("cannot create {}", data.display()))?;
    let target = data.join(STORE_FILE);
    if target.is_file() && !force {
        let held = check(&target).unwrap_or(Counts { documents: 1, accounts: 0 });
        if held.documents > 0 || held.accounts > 0 {
            bail!(
                "{} holds {} documents and {} accounts; add --force to replace them",
                target.display(),
                held.documents,
                held.accounts
            );
        }
    }
    let partial = data.join(format!("{STORE_FILE}.restoring"));
    std::fs::copy(from, &partial).with_context(|| format!("cannot copy {}", from.display()))?;
    // The old store's write-ahead log belongs to the old file: left beside the new one it would be
    // replayed into it.
    for suffix in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(data.join(format!("{STORE_FILE}{suffix}")));
    }
    std::fs::rename(&partial, &target).with_context(|| format!("cannot replace {}", target.display()))?;
    Ok(counts)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store(dir: &Path, docs: usize) {
        std::fs::create_dir_all(dir).unwrap();
        let conn = Connection::open(dir.join(STORE_FILE)).unwrap();
        conn.execute_batch("CREATE TABLE docs (id TEXT PRIMARY KEY); CREATE TABLE doc_chunks (seq INTEGER);").unwrap();
        for i in 0..docs {
            conn.execute("INSERT INTO docs (id) VALUES (?1)", [i.to_string()]).unwrap();
        }
    }

    #[test]
    fn backup_and_restore_refuse_what_they_should() {
        let root = std::env::temp_dir().join(format!("crm-backup-unit-{}", rand::random::<u64>()));
        let (a, b, file) = (root.join("a"), root.join("b"), root.join("a.backup"));
        store(&a, 3);
        assert_eq!(backup(&a, &file).unwrap(), Counts { documents: 3, accounts: 0 });
        assert!(backup(&a, &file).unwrap_err().to_string().contains("exists already"));
        assert!(backup(&root.join("none"), &root.join("x")).is_err());
        assert_eq!(restore(&file, &b, false).unwrap().documents, 3);
        let e = restore(&file, &b, false).unwrap_err().to_string();
        assert!(e.contains("--force"), "{e}");
        restore(&file, &b, true).unwrap();
        std::fs::write(root.join("junk"), b"not a database at all, no").unwrap();
        assert!(restore(&root.join("junk"), &root.join("c"), false).is_err());
        let _ = std::fs::remove_dir_all(&root);
    }
}
