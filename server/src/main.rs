//! `crm-server`: parses config, binds, and hands over to `server::run` (which opens storage, runs
//! migrations, seeds and serves). The application lives in `lib.rs`.

use clap::Parser;
use server::{Config, Transport};

/// `crm-server [FLAGS]` runs the relay; `crm-server COMMAND` does one job and exits.
#[derive(clap::Parser)]
#[command(name = "crm-server", about = "Local-first CRM relay: role-gated Automerge sync, storage, REST API")]
#[command(args_conflicts_with_subcommands = true)]
#[command(after_help = "Store jobs (see `crm-server backup --help`):\n  \
    crm-server backup  --data DIR --to FILE     a consistent copy of a running relay's store\n  \
    crm-server restore --from FILE --data DIR   bring a backup back (relay stopped)")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    config: Config,
}

/// One-off jobs beside running the relay.
#[derive(clap::Subcommand)]
enum Command {
    /// Make a local CA (once) and a relay certificate for LAN names/addresses, for HTTPS without a public CA.
    Cert(server::cert::CertArgs),
}

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
    let cli = Cli::parse();
    let config = match cli.command {
        Some(Command::Cert(args)) => return server::cert::run(&args),
        None => cli.config,
    };
    // Certificate problems stop the relay here, before it says it is listening.
    let mut transport = Transport::from_config(&config)?;
    let listener = tokio::net::TcpListener::bind(config.listen).await?;
    let scheme = if transport.tls.is_some() { "https" } else { "http" };
    // Tests and scripts read this line to learn the port (the config may say port 0). Connections that
    // arrive before storage is open and seeded wait in the listen backlog.
    println!("crm-server listening on {scheme}://{}", listener.local_addr()?);
    if let Some(addr) = config.http_redirect_listen {
        let redirect = tokio::net::TcpListener::bind(addr).await?;
        println!("crm-server redirecting http://{} to https", redirect.local_addr()?);
        transport.redirect = Some(redirect);
    }
    server::serve(config, listener, transport, shutdown_signal()).await
}
