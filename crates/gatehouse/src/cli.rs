//! Command-line arguments.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Gatehouse: an API gateway that authenticates calls by TLS client certificate and runs
/// Azure API Management policies.
#[derive(Debug, Parser)]
#[command(name = "gatehouse", version, about, long_about = None)]
pub(crate) struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Run the gateway and its management API.
    Serve(ServeArgs),
    /// Work with certificates.
    #[command(subcommand)]
    Cert(CertCommand),
    /// Work with policy documents.
    #[command(subcommand)]
    Policy(PolicyCommand),
}

/// `gatehouse serve`.
#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    /// Where the configuration, certificates and admin token live.
    #[arg(long, env = "GATEHOUSE_DATA_DIR", default_value = "./gatehouse-data")]
    pub(crate) data_dir: PathBuf,
    /// Where callers connect (HTTPS).
    #[arg(long, env = "GATEHOUSE_GATEWAY_ADDR", default_value = "127.0.0.1:8443")]
    pub(crate) gateway_addr: SocketAddr,
    /// Where the management API listens (HTTPS).
    #[arg(long, env = "GATEHOUSE_ADMIN_ADDR", default_value = "127.0.0.1:9443")]
    pub(crate) admin_addr: SocketAddr,
    /// Log format: `text` for people, `json` for log pipelines.
    #[arg(long, env = "GATEHOUSE_LOG_FORMAT", default_value = "text")]
    pub(crate) log_format: LogFormat,
}

/// How logs are written.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub(crate) enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// `gatehouse cert ...`.
#[derive(Debug, Subcommand)]
pub(crate) enum CertCommand {
    /// Print the SHA-1 thumbprint (uppercase hex) of a PEM, DER or PFX certificate.
    Thumbprint {
        /// The certificate file.
        file: PathBuf,
        /// The PFX password.
        #[arg(long)]
        password: Option<String>,
    },
    /// Issue a client certificate from the local CA, as a PFX (and optionally PEM files).
    IssueClient {
        /// The certificate's common name.
        #[arg(long)]
        cn: String,
        /// Where to write the PFX.
        #[arg(long)]
        out: PathBuf,
        /// The PFX password.
        #[arg(long)]
        password: String,
        /// Also write PREFIX.pem (certificate) and PREFIX.key (private key).
        #[arg(long)]
        pem_out: Option<PathBuf>,
        /// Days the certificate is valid.
        #[arg(long, default_value_t = 365)]
        days: u32,
        /// The data directory holding the local CA.
        #[arg(long, env = "GATEHOUSE_DATA_DIR", default_value = "./gatehouse-data")]
        data_dir: PathBuf,
    },
}

/// `gatehouse policy ...`.
#[derive(Debug, Subcommand)]
pub(crate) enum PolicyCommand {
    /// Parse and compile policy documents; report every error as FILE:LINE:COL: message.
    Check {
        /// The policy files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
}
