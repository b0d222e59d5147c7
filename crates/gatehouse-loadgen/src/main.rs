//! `gatehouse-loadgen`: HTTPS load with a client certificate, for the benchmark harness
//! (`bench/run`). It prints progress events and then one JSON result, one object per line.
//!
//! Why a tool of our own rather than oha alone:
//! - **The key exchange is chosen, not inherited.** rustls clients (oha among them) offer the
//!   post-quantum hybrid X25519MLKEM768 first; a rustls server takes it while OpenSSL 3.0
//!   servers (Debian's nginx and haproxy) cannot, so the same client would give Gatehouse a
//!   costlier handshake than its peers. Here every server gets the group named by `--kx`.
//! - **Resumption is reported, not assumed.** The client tries to resume like any client does,
//!   and counts full and resumed handshakes, so a "new connection per request" run proves that
//!   the server really did a full handshake each time.
//! - **Idle connections can be held** (`--mode idle`) to measure the server's memory per
//!   connection.
//!
//! It does not follow redirects, send request bodies or retry failed requests.

mod args;
mod client;
mod drive;
mod error;
mod idle;
mod stats;
mod tls;

use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser;

use crate::args::{Args, Mode};
use crate::client::Target;

fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("gatehouse-loadgen: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// One thread: the harness pins the tool to one core, and a single-threaded runtime spends
/// nothing on work stealing.
fn run(args: &Args) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let result = runtime.block_on(async {
        let target = Arc::new(Target::new(args).await?);
        match args.mode {
            Mode::Idle => idle::run(target, args.connections, args.hold()).await,
            Mode::KeepAlive | Mode::NewConnection => drive::run(target, args.plan()).await,
        }
    })?;
    println!("{result}");
    Ok(())
}

/// Prints a progress event for the harness, which samples server counters when it sees one.
fn announce(event: serde_json::Value) {
    use std::io::Write;

    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{event}");
    let _ = out.flush();
}
