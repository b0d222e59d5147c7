//! The web console in a real browser: headless Chromium driven by playwright-core
//! (`tests/browser/console.mjs`) against the real binary, through the article's scenario.
//! Screenshots go to `target/screenshots/`.
//!
//! Needs Debian's `chromium` and `npm install --prefix .tools playwright-core` (what
//! `.ci/run` installs). Without them the test says so and passes, except under `CI=true`,
//! where a missing browser is a failure.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use gatehouse_testkit::{GatewayProcess, Pki};

const BINARY: &str = env!("CARGO_BIN_EXE_gatehouse");

/// How long the whole browser script may take.
const SCRIPT_TIMEOUT: Duration = Duration::from_secs(300);

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Chromium and playwright-core, or why the test cannot run.
fn browser_tools() -> Result<(PathBuf, PathBuf), String> {
    let chromium = std::env::var_os("CHROMIUM")
        .map_or_else(|| PathBuf::from("/usr/bin/chromium"), PathBuf::from);
    let playwright = workspace().join(".tools/node_modules/playwright-core");
    if !chromium.exists() {
        return Err(format!(
            "{} is missing (apt-get install chromium)",
            chromium.display()
        ));
    }
    if !playwright.join("index.mjs").exists() {
        return Err(
            "playwright-core is missing (npm install --prefix .tools playwright-core)".to_owned(),
        );
    }
    if Command::new("node").arg("--version").output().is_err() {
        return Err("node is missing".to_owned());
    }
    Ok((chromium, playwright))
}

/// The base64 SHA-256 of the admin listener's public key: Chromium trusts exactly that key
/// (`--ignore-certificate-errors-spki-list`) without the local CA in a system store.
fn spki_hash(server_cert: &Path) -> Result<String> {
    let script = format!(
        "openssl x509 -in '{}' -pubkey -noout | openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | openssl base64 -A",
        server_cert.display()
    );
    let output = Command::new("sh").args(["-c", &script]).output()?;
    if !output.status.success() {
        bail!(
            "openssl failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(String::from_utf8(output.stdout)?.trim().to_owned())
}

#[test]
fn the_console_runs_the_articles_scenario_in_a_browser() -> Result<()> {
    let (chromium, playwright) = match browser_tools() {
        Ok(tools) => tools,
        Err(missing) if std::env::var("CI").as_deref() == Ok("true") => {
            panic!("the browser test cannot run under CI: {missing}")
        }
        Err(missing) => {
            eprintln!("skipping the browser test: {missing}");
            return Ok(());
        }
    };

    let dir = tempfile::tempdir()?;
    let pki = Pki::new()?;
    let client_a = pki.self_signed_client("client-a")?;
    let client_b = pki.self_signed_client("client-b")?;
    let expired = pki.expired_client("old-client")?;
    let data = dir.path().join("data");
    let gateway = GatewayProcess::start(Path::new(BINARY), &data)?;
    let browser_client = issue_client(&data, dir.path())?;
    let screenshots = workspace().join("target/screenshots");
    clear_screenshots(&screenshots)?;

    let mut script = Command::new("node");
    script
        .arg(workspace().join("crates/gatehouse/tests/browser/console.mjs"))
        .env("PLAYWRIGHT_CORE", &playwright)
        .env("CHROMIUM", &chromium)
        .env("CONSOLE_URL", format!("{}/console/", gateway.admin_url))
        .env("GATEWAY_URL", &gateway.gateway_url)
        .env("ADMIN_TOKEN", gateway.token()?)
        .env("ADMIN_SPKI", spki_hash(&data.join("tls/server.pem"))?)
        .env("SCREENSHOT_DIR", &screenshots)
        .env("CLIENT_A_PFX", &client_a.pfx)
        .env("CLIENT_A_PASSWORD", &client_a.password)
        .env("CLIENT_A_THUMBPRINT", &client_a.thumbprint)
        .env("CLIENT_B_PFX", &client_b.pfx)
        .env("CLIENT_B_PASSWORD", &client_b.password)
        .env("CLIENT_B_THUMBPRINT", &client_b.thumbprint)
        .env("EXPIRED_PEM", &expired.cert)
        .env("BROWSER_PFX", &browser_client.0)
        .env("BROWSER_PASSWORD", BROWSER_PASSWORD)
        .env("BROWSER_THUMBPRINT", &browser_client.1);
    let (ok, output) = run_with_timeout(script, SCRIPT_TIMEOUT)?;

    assert!(
        ok,
        "the browser script failed:\n{output}\ngateway log:\n{}",
        gateway.log()
    );
    Ok(())
}

/// An empty screenshot folder, so that it shows this run only.
fn clear_screenshots(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir)?;
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "png") {
            std::fs::remove_file(path)?;
        }
    }
    Ok(())
}

/// The password of the certificate the browser presents itself.
const BROWSER_PASSWORD: &str = "browser-password";

/// A client certificate from the gateway's local CA, as `gatehouse cert issue-client` makes it
/// for users: (PFX path, thumbprint).
fn issue_client(data: &Path, dir: &Path) -> Result<(PathBuf, String)> {
    let pfx = dir.join("browser-client.pfx");
    let issued = Command::new(BINARY)
        .args([
            "cert",
            "issue-client",
            "--cn",
            "browser-client",
            "--password",
            BROWSER_PASSWORD,
            "--out",
        ])
        .arg(&pfx)
        .arg("--data-dir")
        .arg(data)
        .output()?;
    if !issued.status.success() {
        bail!(
            "issue-client failed: {}",
            String::from_utf8_lossy(&issued.stderr)
        );
    }
    let stdout = String::from_utf8(issued.stdout)?;
    let thumbprint = stdout
        .lines()
        .find_map(|l| l.trim().strip_prefix("Thumbprint:"))
        .context("issue-client printed no thumbprint")?;
    Ok((pfx, thumbprint.trim().to_owned()))
}

/// Runs `command`, killing it after `timeout`; returns success and everything it printed.
fn run_with_timeout(mut command: Command, timeout: Duration) -> Result<(bool, String)> {
    let log = tempfile::NamedTempFile::new()?;
    let mut child = command
        .stdout(Stdio::from(log.reopen()?))
        .stderr(Stdio::from(log.reopen()?))
        .spawn()
        .context("cannot start node")?;
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break Some(status);
        }
        if started.elapsed() > timeout {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let output = std::fs::read_to_string(log.path())?;
    match status {
        Some(status) => Ok((status.success(), output)),
        None => Ok((false, format!("{output}\n(killed after {timeout:?})"))),
    }
}
