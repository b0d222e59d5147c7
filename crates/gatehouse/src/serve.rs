//! `gatehouse serve`: provision the data directory, load the configuration, run both listeners.

use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result};
use gatehouse_admin::Control;
use gatehouse_gateway::tls::{ClientAuth, server_config};
use gatehouse_gateway::{
    Gateway, GatewaySettings, GatewayTls, Snapshot, TraceStore, TrustSettings, Upstream,
};
use gatehouse_model::SubscriptionState;
use gatehouse_policy::runtime::Services;
use gatehouse_store::{Database, PostgresStore, SqliteStore, Store, StoreError};
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::cli::{LogFormat, ServeArgs};
use crate::provision::{self, DataDir};
use crate::secrets_key::KeyFile;

/// Runs the gateway until interrupted.
///
/// # Errors
/// When the data directory, the store or a listener cannot be set up.
pub(crate) fn run(args: ServeArgs) -> Result<ExitCode> {
    init_logging(args.log_format);
    let runtime = match args.worker_threads {
        // One thread means one: the scheduler runs on the thread that starts it, so no
        // request hops between the accepting thread and a worker.
        Some(1) => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?,
        threads => {
            let mut runtime = tokio::runtime::Builder::new_multi_thread();
            if let Some(threads) = threads {
                runtime.worker_threads(usize::from(threads));
            }
            runtime.enable_all().build()?
        }
    };
    runtime.block_on(serve(args))?;
    Ok(ExitCode::SUCCESS)
}

async fn serve(args: ServeArgs) -> Result<()> {
    let data = DataDir::new(args.data_dir.clone());
    let postgres = postgres_url(args.store.as_deref())?;
    let key_file = KeyFile::choose(args.secrets_key_file.as_deref(), postgres.is_some(), &data)?;
    data.prepare()?;
    let _serving = match postgres {
        None => Some(data.lock_for_serving()?),
        Some(_) => None,
    };
    let token = data.read_token()?;
    let store = open_store(postgres, &data, &key_file).await?;
    tracing::info!(store = %store.describe(), "store opened");

    let gateway_listener = bind(args.gateway_addr, "gateway").await?;
    let admin_listener = bind(args.admin_addr, "management API").await?;
    let addrs = (gateway_listener.local_addr()?, admin_listener.local_addr()?);

    let traces = Arc::new(TraceStore::default());
    let ca = CertificateDer::from_pem_file(data.ca_cert())
        .context("cannot read the local CA certificate")?;
    let settings = GatewaySettings {
        trace_base_url: format!("{}/traces", public_url(addrs.1)),
    };
    // Counters, caches and concurrency limits outlive configuration changes; in process for
    // now, a shared store (Redis) for clusters later.
    let gateway = Arc::new(
        Gateway::new(
            Snapshot::empty(),
            Upstream::new(std::slice::from_ref(&ca))?,
            traces.clone(),
            settings,
        )
        .with_services(Services::in_memory())
        .with_trust_settings(trust_settings(&args)),
    );
    let control = Arc::new(
        Control::load(store, gateway.clone())
            .await
            .context("cannot load the stored configuration")?,
    );
    let first = provision::first_start(&data, &control).await?;
    control.follow_changes();
    control.warn_of_expiry_daily();

    let mut gateway_tls = GatewayTls::from_pem_files(&data.server_cert(), &data.server_key())?;
    if args.disable_tls_resumption {
        gateway_tls = gateway_tls.without_resumption();
    }
    let admin_tls = server_config(&data.server_cert(), &data.server_key(), ClientAuth::Off)?;
    let console = gatehouse_admin::ConsoleSettings {
        gateway_url: public_url(addrs.0),
        gateway_trust: gatehouse_admin::client::Trust::roots(&[ca]).map_err(anyhow::Error::msg)?,
    };
    let router = gatehouse_admin::router(control.clone(), traces, token, console);

    let shutdown = shutdown_signal()?;
    print_banner(addrs, &data, &control, first).await;
    let (stop, stopped) = watch::channel(false);
    let gateway_task = gatehouse_gateway::server::serve(
        gateway_listener,
        gateway_tls,
        gateway,
        wait(stopped.clone()),
    );
    let admin_task = gatehouse_admin::serve(admin_listener, admin_tls, router, wait(stopped));
    let both = async { tokio::join!(gateway_task, admin_task) };
    tokio::pin!(both);

    tokio::select! {
        _ = &mut both => {}
        () = shutdown => {
            tracing::info!("shutting down: finishing requests in flight");
            let _ = stop.send(true);
            both.await;
        }
    }
    Ok(())
}

/// The trust relaxations asked for on the command line, logged so they are never silent.
fn trust_settings(args: &ServeArgs) -> TrustSettings {
    let settings = TrustSettings {
        allow_unknown_revocation_status: args.dangerous_allow_unknown_revocation_status,
    };
    if settings.allow_unknown_revocation_status {
        tracing::warn!(
            "--dangerous-allow-unknown-revocation-status: certificates no uploaded CRL covers pass Verify() and validate-revocation"
        );
    }
    settings
}

async fn bind(addr: SocketAddr, what: &str) -> Result<TcpListener> {
    TcpListener::bind(addr).await.with_context(|| {
        format!("cannot listen for the {what} on {addr} (is another process using it?)")
    })
}

async fn wait(mut stopped: watch::Receiver<bool>) {
    let _ = stopped.wait_for(|stop| *stop).await;
}

/// Ctrl-C or SIGTERM (what service managers send). Both are registered when this is called,
/// before the banner tells anyone the gateway is up: a signal arriving earlier than a lazily
/// installed handler would take the default action and kill the process mid-start.
fn shutdown_signal() -> Result<impl Future<Output = ()>> {
    use tokio::signal::unix::{SignalKind, signal};

    let mut terminate = signal(SignalKind::terminate()).context("cannot handle SIGTERM")?;
    let mut interrupt = signal(SignalKind::interrupt()).context("cannot handle SIGINT")?;
    Ok(async move {
        tokio::select! {
            _ = terminate.recv() => {}
            _ = interrupt.recv() => {}
        }
    })
}

/// The PostgreSQL URL `--store` names, if any.
fn postgres_url(store: Option<&str>) -> Result<Option<&str>> {
    match store {
        Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
            Ok(Some(url))
        }
        Some(other) => anyhow::bail!("--store must be a postgres:// URL, not '{other}'"),
        None => Ok(None),
    }
}

/// The configured store: PostgreSQL when `--store` names one, else SQLite in the data
/// directory; its secrets sealed with the key from `key_file`.
async fn open_store(postgres: Option<&str>, data: &DataDir, key_file: &KeyFile) -> Result<Store> {
    let (key, created) = key_file.load()?;
    let database = match postgres {
        Some(url) => Database::Postgres(
            PostgresStore::open(url)
                .await
                .context("cannot open the PostgreSQL store")?,
        ),
        None => Database::Sqlite(
            SqliteStore::open(&data.database())
                .await
                .context("cannot open the store")?,
        ),
    };
    match Store::open(database, key).await {
        Ok(store) => Ok(store),
        Err(error @ StoreError::Unseal { .. }) => {
            if created {
                key_file.remove_created();
            }
            Err(error).with_context(|| {
                format!(
                    "cannot open the store's secrets with the key in {} (start with the key file \
                     this store was sealed with; restore it from your backup)",
                    key_file.path().display()
                )
            })
        }
        Err(error) => Err(error).context("cannot open the store"),
    }
}

/// How clients reach a listener: `localhost` for IPv4 loopback or all addresses, which the
/// server certificate names; `[::1]` for IPv6 loopback, since `localhost` may resolve to
/// 127.0.0.1 alone and miss a listener bound to `::1`.
fn public_url(addr: SocketAddr) -> String {
    match addr.ip() {
        IpAddr::V6(ip) if ip.is_loopback() => format!("https://[::1]:{}", addr.port()),
        ip if ip.is_loopback() || ip.is_unspecified() => {
            format!("https://localhost:{}", addr.port())
        }
        _ => format!("https://{addr}"),
    }
}

/// What the operator needs to start: addresses, files, and a first call. The demo key is
/// shown on the first start only, when it was just made: later starts print a call that reads
/// it through the management API, so a service manager keeping standard output keeps no key.
async fn print_banner(
    addrs: (SocketAddr, SocketAddr),
    data: &DataDir,
    control: &Control,
    first: bool,
) {
    let demo_key = control
        .read(|config| {
            let demo = config.subscriptions.get("demo")?;
            (demo.state == SubscriptionState::Active)
                .then(|| demo.primary_key.clone())
                .flatten()
        })
        .await;
    let gateway = public_url(addrs.0);
    let admin = public_url(addrs.1);
    let ca = data.ca_cert();
    println!(
        "Gatehouse is running{}.",
        if first {
            " (first start: data directory provisioned)"
        } else {
            ""
        }
    );
    println!("  Gateway:         {gateway}/  (asks callers for a client certificate)");
    println!("  Management API:  {admin}/  (Authorization: Bearer <admin token>)");
    println!("  Console:         {admin}/console/  (sign in with the admin token)");
    println!("  Admin token:     {}", data.admin_token().display());
    println!(
        "  CA certificate:  {}  (clients verify the gateway with it)",
        ca.display()
    );
    println!("  Data directory:  {}", data.root().display());
    match demo_key {
        Some(key) if first => {
            println!();
            println!("Call the Echo API with the demo subscription:");
            println!(
                "  curl --cacert {} -H \"Ocp-Apim-Subscription-Key: {key}\" \"{gateway}/echo/resource?param1=sample\"",
                ca.display()
            );
        }
        Some(_) => {
            println!();
            println!(
                "Call the Echo API with the demo subscription (its key read through the management API):"
            );
            println!(
                "  \"{}\" call \"{gateway}/echo/resource?param1=sample\" --key-from demo --data-dir \"{}\" --admin-url {admin}",
                program().display(),
                data.root().display()
            );
        }
        None => {}
    }
    println!();
    println!("Press Ctrl-C to stop.");
}

/// This program as it can be run again: its own path, else its name.
fn program() -> std::path::PathBuf {
    std::env::current_exe().unwrap_or_else(|_| "gatehouse".into())
}

fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("GATEHOUSE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let colours = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(colours)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}
