//! `crm-server`: parses config, opens storage and serves. The application lives in `lib.rs`.

use clap::Parser;
use server::Config;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .init();
    let config = Config::parse();
    let listener = tokio::net::TcpListener::bind(config.listen).await?;
    // Tests and scripts read this line to learn the port (the config may say port 0).
    println!("crm-server listening on http://{}", listener.local_addr()?);
    server::run(config, listener, async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await
}
