//! The real `gatehouse` binary, started on ephemeral loopback ports.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use serde_json::Value;

use crate::{Curl, CurlResponse};

/// How long the binary may take to print its banner.
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// A running `gatehouse serve`.
#[derive(Debug)]
pub struct GatewayProcess {
    child: Child,
    data_dir: PathBuf,
    /// `https://localhost:PORT`, the gateway.
    pub gateway_url: String,
    /// `https://localhost:PORT`, the management API.
    pub admin_url: String,
    /// The demo subscription's primary key when it is active, read through the management API.
    pub demo_key: Option<String>,
    /// Everything the binary printed on standard output.
    pub banner: String,
}

impl GatewayProcess {
    /// Starts `binary serve` with `data_dir`, both listeners on ephemeral ports, and waits for
    /// the banner. Logs go to `data_dir/gatehouse.log`.
    ///
    /// # Errors
    /// When the binary cannot start or exits before printing its banner.
    pub fn start(binary: &Path, data_dir: &Path) -> Result<Self> {
        Self::start_with(binary, data_dir, &[])
    }

    /// [`GatewayProcess::start`] with extra `serve` arguments (for example `--store URL`).
    ///
    /// # Errors
    /// When the binary cannot start or exits before printing its banner.
    pub fn start_with(binary: &Path, data_dir: &Path, extra: &[&str]) -> Result<Self> {
        std::fs::create_dir_all(data_dir)?;
        let log = File::options()
            .create(true)
            .append(true)
            .open(data_dir.join("gatehouse.log"))?;
        let mut child = Command::new(binary)
            .args([
                "serve",
                "--gateway-addr",
                "127.0.0.1:0",
                "--admin-addr",
                "127.0.0.1:0",
                "--data-dir",
            ])
            .arg(data_dir)
            .args(extra)
            .env("GATEHOUSE_LOG", "info,gatehouse=debug")
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log))
            .spawn()
            .with_context(|| format!("cannot start {}", binary.display()))?;

        let banner = read_banner(&mut child, data_dir)?;
        let url = |label: &str| {
            let line = banner.lines().find(|l| l.trim_start().starts_with(label))?;
            let url = line
                .split_whitespace()
                .find(|word| word.starts_with("https://"))?;
            Some(url.trim_end_matches('/').to_owned())
        };
        let gateway_url = url("Gateway:").context("no gateway URL in the banner")?;
        let admin_url = url("Management API:").context("no management URL in the banner")?;
        let mut gateway = Self {
            child,
            data_dir: data_dir.to_owned(),
            gateway_url,
            admin_url,
            demo_key: None,
            banner,
        };
        gateway.demo_key = gateway.active_demo_key()?;
        Ok(gateway)
    }

    /// The demo subscription's primary key, read through the management API (the banner
    /// shows it on the first start only); `None` when there is no active demo subscription.
    fn active_demo_key(&self) -> Result<Option<String>> {
        let demo = self.admin("GET", "/subscriptions/demo", None)?;
        if demo.status != 200 || demo.json()?["properties"]["state"] != "active" {
            return Ok(None);
        }
        let secrets = self.admin("POST", "/subscriptions/demo/listSecrets", None)?;
        let key = secrets.json()?["primaryKey"].as_str().map(str::to_owned);
        Ok(key)
    }

    /// The local CA certificate clients trust.
    pub fn ca(&self) -> PathBuf {
        self.data_dir.join("tls/ca.pem")
    }

    /// The admin token.
    ///
    /// # Errors
    /// When the token file cannot be read.
    pub fn token(&self) -> Result<String> {
        Ok(std::fs::read_to_string(self.data_dir.join("admin-token"))?
            .trim()
            .to_owned())
    }

    /// A curl call to the gateway at `path_and_query`.
    pub fn call(&self, path_and_query: &str) -> Curl {
        Curl::new(&format!("{}{path_and_query}", self.gateway_url), &self.ca())
    }

    /// Calls the management API with the admin token.
    ///
    /// # Errors
    /// When curl fails.
    pub fn admin(&self, method: &str, path: &str, body: Option<&Value>) -> Result<CurlResponse> {
        let mut curl = Curl::new(&format!("{}{path}", self.admin_url), &self.ca())
            .args(["-X", method])
            .header(&format!("Authorization: Bearer {}", self.token()?));
        if let Some(body) = body {
            curl = curl
                .header("Content-Type: application/json")
                .args(["--data-binary".to_owned(), body.to_string()]);
        }
        curl.send()
    }

    /// Starts `binary serve` expecting it to refuse, and returns the last error line it printed
    /// to the data directory's log.
    ///
    /// # Panics
    /// When the gateway starts, or exits without an error line.
    pub fn refused(binary: &Path, data_dir: &Path, extra: &[&str]) -> String {
        if let Ok(gateway) = Self::start_with(binary, data_dir, extra) {
            let banner = gateway.banner.clone();
            let _ = gateway.stop();
            panic!("the gateway started:\n{banner}");
        }
        let log = std::fs::read_to_string(data_dir.join("gatehouse.log")).unwrap_or_default();
        log.lines()
            .rfind(|line| line.starts_with("error: "))
            .unwrap_or_else(|| panic!("no error line in the log:\n{log}"))
            .to_owned()
    }

    /// The gateway's log so far, for assertions and failure messages.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.data_dir.join("gatehouse.log")).unwrap_or_default()
    }

    /// Stops the process with SIGTERM (a graceful shutdown) and waits for it.
    ///
    /// # Errors
    /// When the process cannot be signalled or does not exit.
    pub fn stop(mut self) -> Result<()> {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()?;
        if !status.success() {
            bail!("cannot signal the gateway");
        }
        let exit = self.child.wait()?;
        if !exit.success() {
            bail!("the gateway exited with {exit} after SIGTERM");
        }
        Ok(())
    }
}

impl Drop for GatewayProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Writes a new secrets key (32 random bytes, mode 0600) to `path`, for gateways given it
/// with `--secrets-key-file`: the nodes of a cluster share one.
///
/// # Errors
/// When the system's random bytes cannot be read or the file cannot be written.
pub fn write_secrets_key(path: &Path) -> Result<()> {
    use std::io::Read;
    use std::os::unix::fs::OpenOptionsExt;

    let mut key = [0u8; 32];
    File::open("/dev/urandom")?.read_exact(&mut key)?;
    let mut file = File::options()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    std::io::Write::write_all(&mut file, &key)?;
    Ok(())
}

/// Reads standard output until the banner's last line, within [`START_TIMEOUT`].
fn read_banner(child: &mut Child, data_dir: &Path) -> Result<String> {
    let stdout = child.stdout.take().context("no stdout")?;
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        let mut banner = String::new();
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            banner.push_str(&line);
            banner.push('\n');
            if line.starts_with("Press Ctrl-C") {
                let _ = sender.send(banner.clone());
            }
        }
    });
    match receiver.recv_timeout(START_TIMEOUT) {
        Ok(banner) => Ok(banner),
        Err(_) => {
            let _ = child.kill();
            let log = std::fs::read_to_string(data_dir.join("gatehouse.log")).unwrap_or_default();
            bail!("gatehouse did not start within {START_TIMEOUT:?}; its log:\n{log}")
        }
    }
}
