//! One TLS connection kept open with `openssl s_client`, for HTTP/1.1 requests sent one
//! after another on it: what a test needs to show that a configuration change reaches
//! connections that are already open, without closing them.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::Duration;

use anyhow::{Context, Result, bail};

/// How long a response may take.
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(20);

/// An open connection to `host:port` presenting a client certificate.
#[derive(Debug)]
pub struct SClient {
    child: Child,
    stdin: ChildStdin,
    responses: Receiver<Response>,
}

/// One response read from the connection.
#[derive(Debug, Clone)]
pub struct Response {
    /// Status code.
    pub status: u16,
    /// Headers, names lowercased.
    pub headers: Vec<(String, String)>,
    /// Body as text.
    pub body: String,
}

impl Response {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        let found = self
            .headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name));
        found.map(|(_, v)| v.as_str())
    }
}

impl SClient {
    /// Connects to `127.0.0.1:port` with server name `server_name`, trusting `ca`, presenting
    /// `cert` and `key`.
    ///
    /// # Errors
    /// When openssl cannot start.
    pub fn connect(
        port: u16,
        server_name: &str,
        ca: &Path,
        cert: &Path,
        key: &Path,
    ) -> Result<Self> {
        let mut child = Command::new("openssl")
            .args([
                "s_client",
                "-quiet",
                "-alpn",
                "http/1.1",
                "-verify_return_error",
            ])
            .args([
                "-connect",
                &format!("127.0.0.1:{port}"),
                "-servername",
                server_name,
            ])
            .arg("-CAfile")
            .arg(ca)
            .arg("-cert")
            .arg(cert)
            .arg("-key")
            .arg(key)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .context("the openssl command line is needed")?;
        let stdin = child.stdin.take().context("no stdin")?;
        let stdout = child.stdout.take().context("no stdout")?;
        let (sender, responses) = channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            while let Some(response) = read_response(&mut reader) {
                if sender.send(response).is_err() {
                    return;
                }
            }
        });
        Ok(Self {
            child,
            stdin,
            responses,
        })
    }

    /// Sends `GET path` with `headers` on the connection and reads the response.
    ///
    /// # Errors
    /// When the connection is gone or no response comes in time.
    pub fn get(&mut self, path: &str, headers: &[(&str, &str)]) -> Result<Response> {
        let mut request = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\n");
        for (name, value) in headers {
            request.push_str(&format!("{name}: {value}\r\n"));
        }
        request.push_str("\r\n");
        self.stdin.write_all(request.as_bytes())?;
        self.stdin.flush()?;
        match self.responses.recv_timeout(RESPONSE_TIMEOUT) {
            Ok(response) => Ok(response),
            Err(_) => bail!("no response on the kept-open connection"),
        }
    }
}

impl Drop for SClient {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Reads one HTTP/1.1 response with a `content-length` body.
fn read_response(reader: &mut impl BufRead) -> Option<Response> {
    let mut line = String::new();
    reader.read_line(&mut line).ok().filter(|n| *n > 0)?;
    let status = line.split_whitespace().nth(1)?.parse().ok()?;
    let mut headers = Vec::new();
    loop {
        let mut header = String::new();
        reader.read_line(&mut header).ok()?;
        let Some((name, value)) = header.trim_end().split_once(':') else {
            break;
        };
        headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
    }
    let length = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    let body = String::from_utf8_lossy(&body).into_owned();
    Some(Response {
        status,
        headers,
        body,
    })
}
