//! `crm-server`: parses config, binds, and hands over to `server::run` (which opens storage, runs
//! migrations, seeds and serves). The application lives in `lib.rs`.

use clap::Parser;
use server::Config;

/// Resolves on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .init();
    if let Some(command) = server::backup::StoreCommand::from_args() {
        println!("{}", command.run()?);
        return Ok(());
    }
    let config = Config::parse();
    let listener = tokio::net::TcpListener::bind(config.listen).await?;
    // Tests and scripts read this line to learn the port (the config may say port 0). Connections that
    // arrive before storage is open and seeded wait in the listen backlog.
    println!("crm-server listening on http://{}", listener.local_addr()?);
    server::run(config, listener, shutdown_signal()).await
}
