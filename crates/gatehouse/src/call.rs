//! `gatehouse call [METHOD] URL`: one call through the gateway with a client certificate, the
//! way people would otherwise make it with curl or Postman, and its trace as a tree.
//!
//! It knows the gateway's conventions so the call needs few flags: the data directory's CA
//! is trusted by default, `--key-from demo` fetches a subscription key through the management
//! API, and `--trace` asks for a trace and follows `Ocp-Apim-Trace-Location`. Its errors say
//! what to do, because the usual failures of certificate authentication (a certificate the
//! server never asked for, a wrong PFX password, an untrusted server) are silent or cryptic
//! elsewhere.

mod tree;

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use bytes::Bytes;
use clap::Args;
use gatehouse_admin::client::{self, Identity, Outgoing, Received, SendError, Trust};
use gatehouse_cert::{ImportError, import_certificate};
use http::{HeaderMap, HeaderName, HeaderValue, Method, Uri};
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use serde_json::Value;

use crate::provision::DataDir;

/// The header that carries a subscription key, unless the API names another.
const KEY_HEADER: &str = "ocp-apim-subscription-key";

/// `gatehouse call`.
#[derive(Debug, Args)]
pub(crate) struct CallArgs {
    /// The method (GET, or POST with --data, when left out) and the URL.
    #[arg(value_name = "[METHOD] URL", num_args = 1..=2, required = true)]
    target: Vec<String>,
    /// The client certificate: a PFX/P12 file (with --password), or a PEM certificate (with
    /// --key, or with the key in the same file).
    #[arg(long, value_name = "FILE")]
    cert: Option<PathBuf>,
    /// The PEM private key of a PEM --cert.
    #[arg(long, value_name = "FILE", requires = "cert")]
    key: Option<PathBuf>,
    /// The password of the PFX file (or of an encrypted PEM key).
    #[arg(long, env = "GATEHOUSE_CERT_PASSWORD", hide_env_values = true)]
    password: Option<String>,
    /// The CA certificate(s) that sign the server's certificate, PEM. Default: the data
    /// directory's local CA when present, else the system's roots.
    #[arg(long, value_name = "FILE")]
    cacert: Option<PathBuf>,
    /// A request header, `Name: value`; repeatable.
    #[arg(short = 'H', long = "header", value_name = "HEADER")]
    headers: Vec<String>,
    /// The request body; `@FILE` reads it from a file.
    #[arg(short = 'd', long, value_name = "DATA")]
    data: Option<String>,
    /// Send the primary key of this subscription, read through the management API with the
    /// data directory's admin token.
    #[arg(long, value_name = "SUBSCRIPTION")]
    key_from: Option<String>,
    /// Ask for a trace (Ocp-Apim-Trace: true) and print it as a tree.
    #[arg(long)]
    trace: bool,
    /// With --trace: print the raw trace document (JSON) alone on standard output instead.
    #[arg(long, requires = "trace")]
    json: bool,
    /// The data directory: its CA and admin token.
    #[arg(long, env = "GATEHOUSE_DATA_DIR", default_value = "./gatehouse-data")]
    data_dir: PathBuf,
    /// The management API, for --key-from.
    #[arg(
        long,
        env = "GATEHOUSE_ADMIN_URL",
        default_value = "https://localhost:9443"
    )]
    admin_url: String,
    /// Seconds to wait for the response.
    #[arg(long, default_value_t = 30)]
    timeout: u64,
}

/// Runs `gatehouse call`.
///
/// # Errors
/// When a file cannot be read, the call cannot be made or the trace cannot be fetched; each
/// message says what to do.
pub(crate) fn run(args: CallArgs) -> Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(call(args))
}

async fn call(args: CallArgs) -> Result<ExitCode> {
    match call_and_print(args).await {
        Err(error) if is_broken_pipe(&error) => Ok(ExitCode::SUCCESS),
        other => other,
    }
}

/// Standard output closed early (`gatehouse call ... | head`) is not a failure.
fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error
        .downcast_ref::<std::io::Error>()
        .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
}

async fn call_and_print(args: CallArgs) -> Result<ExitCode> {
    let (method, url) = target(&args)?;
    let data = DataDir::new(args.data_dir.clone());
    let trust = trust(args.cacert.as_deref(), &data)?;
    let identity = identity(&args)?;
    let timeout = Duration::from_secs(args.timeout);

    let mut headers = parse_headers(&args.headers)?;
    if let Some(subscription) = &args.key_from
        && !headers.contains_key(KEY_HEADER)
    {
        refuse_gateway_as_admin(&args.admin_url, &url)?;
        let key = key_from(subscription, &args.admin_url, &data, &trust, timeout).await?;
        headers.insert(KEY_HEADER, HeaderValue::from_str(&key)?);
    }
    if args.trace {
        headers.insert("ocp-apim-trace", HeaderValue::from_static("true"));
    }

    let request = Outgoing {
        method,
        url: url.clone(),
        headers,
        body: body(args.data.as_deref())?,
    };
    let received = client::send(request, &trust, identity.as_ref(), timeout)
        .await
        .map_err(|e| explain(e, &url, &args))?;
    warn_about_certificate(&received, &args);

    let style = Style::for_stdout();
    if args.json {
        eprintln!("{}", status_line(&received));
    } else {
        print_response(&received, style)?;
    }
    if args.trace {
        print_trace(&received, &trust, timeout, &args, style).await?;
    }
    Ok(ExitCode::SUCCESS)
}

/// `[METHOD] URL`; without a method, GET, or POST when there is a body (as curl does).
fn target(args: &CallArgs) -> Result<(Method, Uri)> {
    let (method, url) = match args.target.as_slice() {
        [url] if args.data.is_some() => ("POST", url),
        [url] => ("GET", url),
        [method, url] => (method.as_str(), url),
        _ => bail!("give the URL, optionally preceded by the method: gatehouse call [METHOD] URL"),
    };
    let method = Method::from_bytes(method.to_ascii_uppercase().as_bytes())
        .map_err(|_| anyhow!("'{method}' is not an HTTP method"))?;
    let url: Uri = url
        .parse()
        .with_context(|| format!("'{url}' is not a URL"))?;
    if url.scheme_str() != Some("https") || url.host().is_none() {
        bail!(
            "'{url}' is not an https:// URL: the gateway only speaks HTTPS (e.g. https://localhost:8443/echo/resource)"
        );
    }
    Ok((method, url))
}

/// `--cacert`, else the data directory's CA, else the system's roots.
fn trust(cacert: Option<&Path>, data: &DataDir) -> Result<Trust> {
    let local = data.ca_cert();
    let file = match cacert {
        Some(file) => file.to_owned(),
        None if local.exists() => local,
        None => return Ok(Trust::system()),
    };
    let certificates: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&file)
        .and_then(Iterator::collect)
        .with_context(|| format!("cannot read CA certificates from {}", file.display()))?;
    if certificates.is_empty() {
        bail!(
            "{} holds no PEM certificate (--cacert takes the CA certificate in PEM)",
            file.display()
        );
    }
    Trust::roots(&certificates).map_err(|e| anyhow!("{}: {e}", file.display()))
}

/// The client certificate from `--cert` (and `--key`), checked before anything is sent.
fn identity(args: &CallArgs) -> Result<Option<Identity>> {
    let Some(cert) = &args.cert else {
        return Ok(None);
    };
    let mut bytes =
        std::fs::read(cert).with_context(|| format!("cannot read {}", cert.display()))?;
    if let Some(key) = &args.key {
        let key_bytes =
            std::fs::read(key).with_context(|| format!("cannot read {}", key.display()))?;
        if !is_pem(&bytes) || !is_pem(&key_bytes) {
            bail!(
                "--cert with --key takes PEM files; {} or {} is not PEM (a PFX needs no --key)",
                cert.display(),
                key.display()
            );
        }
        bytes.push(b'\n');
        bytes.extend_from_slice(&key_bytes);
    }

    let imported =
        import_certificate(&bytes, args.password.as_deref()).map_err(|e| import_error(&e, cert))?;
    let (leaf, chain, key) = imported.into_parts();
    let Some(key) = key else {
        bail!(
            "{} holds no private key, so it cannot be presented: give the key with --key K.pem, or use a PFX file that includes it",
            cert.display()
        );
    };
    let ders = std::iter::once(&leaf)
        .chain(&chain)
        .map(|c| CertificateDer::from(c.der().to_vec()))
        .collect();
    Identity::new(ders, key.pkcs8_der().to_vec())
        .map(Some)
        .map_err(|e| anyhow!("{}: {e}", cert.display()))
}

fn is_pem(bytes: &[u8]) -> bool {
    bytes.windows(11).any(|w| w == b"-----BEGIN ")
}

fn import_error(error: &ImportError, file: &Path) -> anyhow::Error {
    let file = file.display();
    match error {
        ImportError::WrongPassword => anyhow!(
            "wrong password for {file}: pass the password the PFX was exported with (--password P, or GATEHOUSE_CERT_PASSWORD)"
        ),
        ImportError::PasswordRequired => {
            anyhow!("{file} is password-protected: add --password P")
        }
        ImportError::WrongKeyPassword | ImportError::EncryptedKeyPasswordRequired => {
            anyhow!("the private key in {file} is encrypted: pass its password with --password P")
        }
        other => anyhow!("cannot use {file} as a client certificate: {other}"),
    }
}

fn parse_headers(lines: &[String]) -> Result<HeaderMap> {
    let mut headers = HeaderMap::new();
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            bail!("-H '{line}' is not a header: write it as 'Name: value'");
        };
        let name = HeaderName::from_bytes(name.trim().as_bytes())
            .with_context(|| format!("'{}' is not a header name", name.trim()))?;
        let value = HeaderValue::from_str(value.trim())
            .with_context(|| format!("the value of header '{name}' is not allowed in HTTP"))?;
        headers.append(name, value);
    }
    Ok(headers)
}

fn body(data: Option<&str>) -> Result<Bytes> {
    match data {
        None => Ok(Bytes::new()),
        Some(text) => match text.strip_prefix('@') {
            Some(file) => Ok(std::fs::read(file)
                .with_context(|| format!("cannot read the body from {file}"))?
                .into()),
            None => Ok(Bytes::copy_from_slice(text.as_bytes())),
        },
    }
}

/// The subscription's primary key, through `POST /subscriptions/{sid}/listSecrets`.
/// The admin token goes only to the management API: an `--admin-url` naming the gateway being
/// called would hand the token to the gateway (and whatever its policies forward to).
fn refuse_gateway_as_admin(admin_url: &str, target: &Uri) -> Result<()> {
    let admin: Uri = admin_url
        .parse()
        .with_context(|| format!("--admin-url {admin_url} is not a URL"))?;
    let reached = addresses(target);
    if addresses(&admin).iter().any(|a| reached.contains(a)) {
        bail!(
            "--admin-url {admin_url} is the gateway this call goes to; the admin token is sent only to the management API (its address is in the banner, by default https://localhost:9443)"
        );
    }
    Ok(())
}

/// The socket addresses a URL's host and port resolve to (none when it names no host), so
/// `localhost`, `127.0.0.1`, `LOCALHOST` and `user@localhost:08443` compare as what they are.
fn addresses(url: &Uri) -> Vec<std::net::SocketAddr> {
    use std::net::ToSocketAddrs;

    let Some(host) = url.host() else {
        return Vec::new();
    };
    let default_port = if url.scheme_str() == Some("http") {
        80
    } else {
        443
    };
    let port = url.port_u16().unwrap_or(default_port);
    let host = host.trim_start_matches('[').trim_end_matches(']');
    (host, port)
        .to_socket_addrs()
        .map(Iterator::collect)
        .unwrap_or_default()
}

async fn key_from(
    subscription: &str,
    admin_url: &str,
    data: &DataDir,
    trust: &Trust,
    timeout: Duration,
) -> Result<String> {
    let token_file = data.admin_token();
    let token = std::fs::read_to_string(&token_file).with_context(|| {
        format!(
            "--key-from reads the key through the management API with the admin token, and {} cannot be read (pass --data-dir)",
            token_file.display()
        )
    })?;
    let url = format!(
        "{}/subscriptions/{subscription}/listSecrets",
        admin_url.trim_end_matches('/')
    );
    let mut headers = HeaderMap::new();
    headers.insert(
        http::header::AUTHORIZATION,
        HeaderValue::from_str(&format!("Bearer {}", token.trim()))?,
    );
    let request = Outgoing {
        method: Method::POST,
        url: url
            .parse()
            .with_context(|| format!("--admin-url gives a bad URL: {url}"))?,
        headers,
        body: Bytes::new(),
    };
    let received = client::send(request, trust, None, timeout)
        .await
        .with_context(|| {
            format!(
                "cannot reach the management API at {admin_url} for --key-from (pass --admin-url)"
            )
        })?;
    match received.status.as_u16() {
        200 => {}
        401 => bail!(
            "the management API refused the admin token from {}: is --data-dir the gateway's?",
            token_file.display()
        ),
        404 => bail!(
            "there is no subscription '{subscription}' (--key-from takes a subscription id, e.g. demo)"
        ),
        status => bail!(
            "the management API answered {status} to listSecrets: {}",
            String::from_utf8_lossy(&received.body)
        ),
    }
    let secrets: Value = serde_json::from_slice(&received.body)?;
    secrets["primaryKey"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| anyhow!("subscription '{subscription}' has no primary key"))
}

/// A send failure, with what to do about it.
fn explain(error: SendError, url: &Uri, args: &CallArgs) -> anyhow::Error {
    let hint = match &error {
        SendError::UntrustedServer { .. } => format!(
            "pass the CA that signed the server's certificate with --cacert; for a local gateway that is {}/tls/ca.pem, used by default when --data-dir points at it",
            args.data_dir.display()
        ),
        SendError::WrongHost { .. } => "call the server by a name its certificate lists (the local gateway's names localhost, 127.0.0.1 and ::1)".to_owned(),
        SendError::CertificateRequired => "add --cert (a PFX with --password, or PEM files)".to_owned(),
        SendError::CertificateRefused { .. } if args.cert.is_none() => "the server requires a client certificate: add --cert".to_owned(),
        SendError::CertificateRefused { .. } => "the server does not accept this client certificate; check which CAs it trusts".to_owned(),
        SendError::Connect { .. } => "is the gateway running (gatehouse serve), and is this its address?".to_owned(),
        SendError::Timeout(_) => "raise --timeout, or check the backend".to_owned(),
        _ => String::new(),
    };
    match hint.is_empty() {
        true => anyhow!("calling {url}: {error}"),
        false => anyhow!("calling {url}: {error}\n  hint: {hint}"),
    }
}

/// The one silent failure: a certificate that was never asked for was never sent.
fn warn_about_certificate(received: &Received, args: &CallArgs) {
    match (&args.cert, received.certificate_requested) {
        (Some(cert), false) => eprintln!(
            "warning: the server never asked for a client certificate, so {} was not sent; is this the gateway's address (default https://localhost:8443) and not the management API's?",
            cert.display()
        ),
        (None, true) => eprintln!(
            "note: the server asked for a client certificate and none was sent (add --cert FILE.pfx --password P)"
        ),
        _ => {}
    }
}

fn status_line(received: &Received) -> String {
    format!(
        "{:?} {} {}",
        received.version,
        received.status.as_u16(),
        received.reason
    )
}

fn print_response(received: &Received, style: Style) -> Result<()> {
    let mut out = std::io::stdout().lock();
    let colour = match received.status.as_u16() {
        200..=399 => GREEN,
        400..=499 => YELLOW,
        _ => RED,
    };
    writeln!(out, "{}", style.paint(colour, &status_line(received)))?;
    for (name, value) in &received.headers {
        let value = String::from_utf8_lossy(value.as_bytes());
        writeln!(out, "{}: {value}", style.paint(DIM, name.as_str()))?;
    }
    writeln!(out)?;
    out.write_all(&received.body)?;
    if !received.body.ends_with(b"\n") {
        writeln!(out)?;
    }
    Ok(())
}

async fn print_trace(
    received: &Received,
    trust: &Trust,
    timeout: Duration,
    args: &CallArgs,
    style: Style,
) -> Result<()> {
    let Some(location) = received
        .headers
        .get("ocp-apim-trace-location")
        .and_then(|v| v.to_str().ok())
    else {
        bail!(
            "no trace: the response has no Ocp-Apim-Trace-Location header. Tracing needs the key of a subscription that allows tracing (--key-from SUBSCRIPTION, allowTracing true), and a route to an API"
        );
    };
    let request = Outgoing {
        method: Method::GET,
        url: location
            .parse()
            .with_context(|| format!("bad trace location {location}"))?,
        headers: HeaderMap::new(),
        body: Bytes::new(),
    };
    let fetched = client::send(request, trust, None, timeout)
        .await
        .with_context(|| format!("cannot fetch the trace from {location}"))?;
    if !fetched.status.is_success() {
        bail!(
            "the trace at {location} answered {} (traces expire after an hour)",
            fetched.status
        );
    }
    let document: Value = serde_json::from_slice(&fetched.body).context("the trace is not JSON")?;

    let mut out = std::io::stdout().lock();
    if args.json {
        writeln!(out, "{}", serde_json::to_string_pretty(&document)?)?;
        return Ok(());
    }
    writeln!(out)?;
    out.write_all(tree::render(&document, location, style).as_bytes())?;
    Ok(())
}

/// ANSI colours, used only when standard output is a terminal and `NO_COLOR` is unset.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Style {
    colour: bool,
}

pub(crate) const GREEN: &str = "32";
pub(crate) const YELLOW: &str = "33";
pub(crate) const RED: &str = "31";
pub(crate) const CYAN: &str = "36";
pub(crate) const BOLD: &str = "1";
pub(crate) const DIM: &str = "2";

impl Style {
    fn for_stdout() -> Self {
        let colour = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
        Self { colour }
    }

    /// `text` in colour `code`, or as is.
    pub(crate) fn paint(self, code: &str, text: &str) -> String {
        match self.colour {
            true => format!("\x1b[{code}m{text}\x1b[0m"),
            false => text.to_owned(),
        }
    }
}
