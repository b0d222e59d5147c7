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
    /// Call an API through the gateway with a client certificate; --trace prints its trace.
    Call(crate::call::CallArgs),
}

/// `gatehouse serve`.
#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    /// Where the configuration, certificates and admin token live.
    #[arg(long, env = "GATEHOUSE_DATA_DIR", default_value = "./gatehouse-data")]
    pub(crate) data_dir: PathBuf,
    /// Keep the configuration in a PostgreSQL database shared by several gateway nodes
    /// (`postgres://user@host:port/database`) instead of `DATA_DIR/gatehouse.db`.
    #[arg(long, env = "GATEHOUSE_STORE")]
    pub(crate) store: Option<String>,
    /// The file holding the 32-byte key that seals private keys and secret values in the
    /// store. Default: `DATA_DIR/secrets.key`, created on the first start. Required with
    /// `--store`: every node of a cluster must use the same key.
    #[arg(long, env = "GATEHOUSE_SECRETS_KEY_FILE")]
    pub(crate) secrets_key_file: Option<PathBuf>,
    /// Where callers connect (HTTPS).
    #[arg(long, env = "GATEHOUSE_GATEWAY_ADDR", default_value = "127.0.0.1:8443")]
    pub(crate) gateway_addr: SocketAddr,
    /// Where the management API listens (HTTPS).
    #[arg(long, env = "GATEHOUSE_ADMIN_ADDR", default_value = "127.0.0.1:9443")]
    pub(crate) admin_addr: SocketAddr,
    /// Log format: `text` for people, `json` for log pipelines.
    #[arg(long, env = "GATEHOUSE_LOG_FORMAT", default_value = "text")]
    pub(crate) log_format: LogFormat,
    /// Threads running connections and requests (default: one per CPU). One thread makes
    /// Gatehouse comparable with a single nginx or haproxy worker in benchmarks.
    #[arg(long, env = "GATEHOUSE_WORKER_THREADS", value_parser = clap::value_parser!(u16).range(1..))]
    pub(crate) worker_threads: Option<u16>,
    /// Turn off TLS session resumption on the gateway listener, so every new connection costs
    /// a full handshake (for handshake benchmarks; rustls resumes from a 256-entry cache by
    /// default).
    #[arg(long, env = "GATEHOUSE_DISABLE_TLS_RESUMPTION")]
    pub(crate) disable_tls_resumption: bool,
    /// Dangerous: let `Verify()` and `validate-client-certificate validate-revocation`
    /// accept certificates for which no uploaded CRL gives a status. By default such
    /// certificates are refused, as .NET's `Verify()` refuses them when no CRL is reachable.
    #[arg(long, env = "GATEHOUSE_DANGEROUS_ALLOW_UNKNOWN_REVOCATION_STATUS")]
    pub(crate) dangerous_allow_unknown_revocation_status: bool,
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
    /// Parse and compile policy documents; report every error as FILE:LINE:COL: message,
    /// and likely mistakes as FILE:LINE:COL: warning: message.
    Check {
        /// The policy files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Run a policy against a request described in JSON, with a canned backend, and print
    /// the response and the trace.
    #[command(after_long_help = crate::policy_test::REQUEST_FORMAT)]
    Test {
        /// The policy file.
        policy: PathBuf,
        /// The request description (JSON; its fields are listed below).
        #[arg(long)]
        request: PathBuf,
    },
}
