//! The demo relay for tests: a fresh data folder, `crm-server --demo`, logins with password `demo`.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use app::domain::DocId;

use super::{login, Fetched, HttpError, Login, RelayProcess, SyncClient};

static NEXT_DIR: AtomicU64 = AtomicU64::new(0);

/// A fresh, empty folder under the system temp dir (removed by [`TestRelay`] on drop).
pub fn temp_dir(tag: &str) -> PathBuf {
    let n = NEXT_DIR.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("crm-{tag}-{}-{n}-{:x}", std::process::id(), rand::random::<u32>()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// A relay process over its own data folder.
pub struct TestRelay {
    pub relay: Option<RelayProcess>,
    pub dir: PathBuf,
    pub bin: PathBuf,
}

/// One entry of an index document.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct IndexItem {
    pub id: DocId,
    pub kind: String,
    pub record: DocId,
}

impl TestRelay {
    /// Starts `bin --demo` on a fresh folder.
    pub async fn demo(bin: &Path, tag: &str) -> TestRelay {
        let dir = temp_dir(tag);
        let relay = RelayProcess::start(bin, &dir, true).await.expect("relay starts");
        TestRelay { relay: Some(relay), dir, bin: bin.to_path_buf() }
    }

    pub fn relay(&self) -> &RelayProcess {
        self.relay.as_ref().expect("relay running")
    }

    /// SIGKILLs the relay and starts it again on the same folder.
    pub async fn kill_and_restart(&mut self) {
        if let Some(r) = self.relay.take() {
            r.kill().await;
        }
        self.relay = Some(RelayProcess::start(&self.bin, &self.dir, true).await.expect("relay restarts"));
    }

    pub async fn login(&self, user: &str) -> Result<Login, HttpError> {
        login(self.relay().addr, user, "demo").await
    }

    /// Logs `user` in and opens a sync socket with `?token=`.
    pub async fn client(&self, user: &str) -> (Login, SyncClient) {
        let l = self.login(user).await.unwrap_or_else(|e| panic!("login {user}: {e}"));
        let c = SyncClient::connect(&self.relay().sync_url(&l.token))
            .await
            .unwrap_or_else(|e| panic!("connect {user}: {e}"));
        (l, c)
    }
}

impl Drop for TestRelay {
    fn drop(&mut self) {
        if let Some(mut r) = self.relay.take() {
            let _ = r.child.start_kill();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Fetches an index document and lists its entries.
pub async fn index_items(c: &mut SyncClient, index: &DocId) -> Vec<IndexItem> {
    assert_eq!(
        c.fetch(index, Duration::from_secs(10)).await.expect("index fetch"),
        Fetched::Doc,
        "own index is readable"
    );
    // Let any follow-up sync rounds finish.
    c.pump_for(Duration::from_millis(100)).await.ok();
    read_index(c.doc(index).expect("index doc"))
}

/// The entries of an index document, sorted (its wire format: [`app::domain::docs::index`]).
pub fn read_index(doc: &automerge::Automerge) -> Vec<IndexItem> {
    app::domain::docs::read_index(doc)
        .into_iter()
        .map(|(id, e)| IndexItem { id, kind: e.kind.into_owned(), record: e.record })
        .collect()
}
