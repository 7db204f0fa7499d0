//! The real relay binary as a child process: started on port 0, its address read from its first line.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// A running `crm-server`. Killed (SIGKILL) when dropped.
pub struct RelayProcess {
    pub child: Child,
    pub addr: SocketAddr,
    pub data: PathBuf,
}

impl RelayProcess {
    /// Starts `bin --listen 127.0.0.1:0 --data <data> [--demo]` and waits for its "listening" line.
    pub async fn start(bin: &Path, data: &Path, demo: bool) -> std::io::Result<RelayProcess> {
        Self::start_with_env(bin, data, demo, &[]).await
    }

    /// [`RelayProcess::start`] with extra environment variables (e.g. the test-only
    /// `CRM_TEST_COMMIT_DELAY_MS`).
    pub async fn start_with_env(
        bin: &Path,
        data: &Path,
        demo: bool,
        env: &[(&str, &str)],
    ) -> std::io::Result<RelayProcess> {
        let mut cmd = Command::new(bin);
        cmd.envs(env.iter().copied());
        cmd.arg("--listen").arg("127.0.0.1:0").arg("--data").arg(data).arg("--static-dir").arg(data.join("no-static"));
        if demo {
            cmd.arg("--demo");
        }
        cmd.env("RUST_LOG", std::env::var("RUST_LOG").unwrap_or_else(|_| "warn".into()));
        cmd.stdout(Stdio::piped()).stderr(Stdio::inherit()).kill_on_drop(true);
        let mut child = cmd.spawn()?;
        let stdout = child.stdout.take().ok_or_else(|| std::io::Error::other("no stdout"))?;
        let mut lines = BufReader::new(stdout).lines();
        let find = async {
            while let Some(line) = lines.next_line().await? {
                if let Some(rest) = line.strip_prefix("crm-server listening on http://") {
                    return rest.trim().parse::<SocketAddr>().map_err(std::io::Error::other);
                }
            }
            Err(std::io::Error::other("crm-server exited before listening"))
        };
        let addr = tokio::time::timeout(Duration::from_secs(120), find)
            .await
            .map_err(|_| std::io::Error::other("crm-server did not start in time"))??;
        // Keep draining stdout so the child never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Ok(RelayProcess { child, addr, data: data.to_path_buf() })
    }

    /// `ws://ADDR/sync?token=...`
    pub fn sync_url(&self, token: &str) -> String {
        format!("ws://{}/sync?token={token}", self.addr)
    }

    /// SIGKILL: no shutdown code runs.
    pub async fn kill(mut self) {
        let _ = self.child.kill().await;
        let _ = self.child.wait().await;
    }

    /// The process id (for RSS and CPU readings).
    pub fn pid(&self) -> Option<u32> {
        self.child.id()
    }
}
