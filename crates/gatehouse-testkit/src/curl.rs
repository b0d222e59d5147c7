//! Calls made with the `curl` command line, as a user would make them.

use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result, bail};

/// A curl invocation being built.
#[derive(Debug, Clone)]
pub struct Curl {
    args: Vec<String>,
}

/// What curl received.
#[derive(Debug, Clone)]
pub struct CurlResponse {
    /// `HTTP/1.1` or `HTTP/2`.
    pub version: String,
    /// Status code.
    pub status: u16,
    /// Reason phrase (empty on HTTP/2, which has none).
    pub reason: String,
    /// Headers, names lowercased, in order.
    pub headers: Vec<(String, String)>,
    /// Body as text.
    pub body: String,
}

impl Curl {
    /// `curl` for `url`, trusting `ca` (the gateway's local CA).
    pub fn new(url: &str, ca: &Path) -> Self {
        let args = vec![
            "-sS".into(),
            "-i".into(),
            "--max-time".into(),
            "20".into(),
            "--cacert".into(),
            ca.display().to_string(),
            url.into(),
        ];
        Self { args }
    }

    /// Adds raw arguments.
    pub fn args<I: IntoIterator<Item = S>, S: Into<String>>(mut self, args: I) -> Self {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    /// Presents a client certificate and key (PEM files).
    pub fn cert(self, cert: &Path, key: &Path) -> Self {
        self.args([
            "--cert".to_owned(),
            cert.display().to_string(),
            "--key".to_owned(),
            key.display().to_string(),
        ])
    }

    /// Adds a request header.
    pub fn header(self, header: &str) -> Self {
        self.args(["-H", header])
    }

    /// Runs curl; fails when curl itself fails (no connection, TLS error).
    ///
    /// # Errors
    /// curl's exit status and standard error.
    pub fn send(&self) -> Result<CurlResponse> {
        let output = Command::new("curl")
            .args(&self.args)
            .output()
            .context("the curl command line is needed")?;
        if !output.status.success() {
            bail!(
                "curl {:?} failed ({}): {}",
                self.args,
                output.status,
                String::from_utf8_lossy(&output.stderr)
            );
        }
        parse(&String::from_utf8_lossy(&output.stdout))
    }
}

impl CurlResponse {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body parsed as JSON.
    ///
    /// # Errors
    /// When the body is not JSON.
    pub fn json(&self) -> Result<serde_json::Value> {
        serde_json::from_str(&self.body).with_context(|| format!("body is not JSON: {}", self.body))
    }
}

/// Splits `curl -i` output: skips interim (1xx) responses, reads status line and headers.
fn parse(output: &str) -> Result<CurlResponse> {
    let mut rest = output;
    loop {
        let (head, body) = rest
            .split_once("\r\n\r\n")
            .context("no header block in curl output")?;
        let mut lines = head.lines();
        let status_line = lines.next().unwrap_or_default();
        let mut parts = status_line.splitn(3, ' ');
        let version = parts.next().unwrap_or_default().to_owned();
        let status: u16 = parts
            .next()
            .unwrap_or_default()
            .parse()
            .context("no status code")?;
        if (100..200).contains(&status) {
            rest = body;
            continue;
        }
        let reason = parts.next().unwrap_or_default().trim().to_owned();
        let headers = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
            .collect();
        return Ok(CurlResponse {
            version,
            status,
            reason,
            headers,
            body: body.to_owned(),
        });
    }
}
