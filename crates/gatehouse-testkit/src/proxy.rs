//! A forward HTTP proxy for tests of the `proxy` policy: absolute-form requests are relayed
//! to their target one at a time, `CONNECT` opens a tunnel. With credentials it answers 407
//! to requests without the right `Proxy-Authorization`. It keeps every request head.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

use anyhow::Result;
use base64::Engine;

/// A request head the proxy received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProxyRequest {
    pub method: String,
    /// Absolute-form (`http://host:port/path`) or, for `CONNECT`, `host:port`.
    pub target: String,
    pub authorization: Option<String>,
}

/// A proxy on an ephemeral loopback port, served from threads.
#[derive(Debug, Clone)]
pub struct TestProxy {
    addr: SocketAddr,
    seen: Arc<Mutex<Vec<ProxyRequest>>>,
}

impl TestProxy {
    /// Starts the proxy; with `credentials` (user, password) it requires them.
    ///
    /// # Errors
    /// When no port can be bound.
    pub fn start(credentials: Option<(&str, &str)>) -> Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let proxy = Self {
            addr: listener.local_addr()?,
            seen: Arc::default(),
        };
        let expected = credentials.map(|(user, password)| {
            let encoded =
                base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
            format!("Basic {encoded}")
        });
        let seen = proxy.seen.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().map_while(Result::ok) {
                let (seen, expected) = (seen.clone(), expected.clone());
                std::thread::spawn(move || serve(stream, expected.as_deref(), &seen));
            }
        });
        Ok(proxy)
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The request heads received so far.
    pub fn seen(&self) -> Vec<ProxyRequest> {
        self.seen.lock().map(|s| s.clone()).unwrap_or_default()
    }
}

/// A request head as read: the request line's parts, and the other lines.
struct Head {
    method: String,
    target: String,
    lines: Vec<String>,
}

impl Head {
    fn header(&self, name: &str) -> Option<&str> {
        self.lines.iter().find_map(|line| {
            let (n, v) = line.split_once(':')?;
            n.trim().eq_ignore_ascii_case(name).then(|| v.trim())
        })
    }
}

fn serve(client: TcpStream, expected: Option<&str>, seen: &Mutex<Vec<ProxyRequest>>) {
    let Ok(mut writer) = client.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(client);
    while let Some(head) = read_head(&mut reader) {
        let authorization = head.header("proxy-authorization").map(str::to_owned);
        if let Ok(mut list) = seen.lock() {
            list.push(ProxyRequest {
                method: head.method.clone(),
                target: head.target.clone(),
                authorization: authorization.clone(),
            });
        }
        let body = read_body(&mut reader, &head);
        if expected.is_some() && authorization.as_deref() != expected {
            let refusal = "HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"test\"\r\ncontent-length: 0\r\n\r\n";
            if writer.write_all(refusal.as_bytes()).is_err() {
                return;
            }
            continue;
        }
        if head.method == "CONNECT" {
            tunnel(reader, writer, &head.target);
            return;
        }
        if relay(&mut writer, &head, &body).is_err() {
            return;
        }
    }
}

fn read_head(reader: &mut BufReader<TcpStream>) -> Option<Head> {
    let mut line = String::new();
    reader.read_line(&mut line).ok().filter(|n| *n > 0)?;
    let mut parts = line.split_whitespace();
    let (method, target) = (parts.next()?.to_owned(), parts.next()?.to_owned());
    let mut lines = Vec::new();
    loop {
        let mut header = String::new();
        reader.read_line(&mut header).ok()?;
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        lines.push(header.to_owned());
    }
    Some(Head {
        method,
        target,
        lines,
    })
}

fn read_body(reader: &mut BufReader<TcpStream>, head: &Head) -> Vec<u8> {
    let length = head
        .header("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    let _ = reader.read_exact(&mut body);
    body
}

/// Sends one absolute-form request to its target in origin form, without the proxy's own
/// header, and copies the whole answer back.
fn relay(client: &mut TcpStream, head: &Head, body: &[u8]) -> std::io::Result<()> {
    let rest = head.target.strip_prefix("http://").unwrap_or(&head.target);
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let mut upstream = TcpStream::connect(authority)?;
    let mut request = format!("{} {} HTTP/1.1\r\n", head.method, path.max("/"));
    for line in &head.lines {
        let name = line.split(':').next().unwrap_or("").trim();
        if !name.eq_ignore_ascii_case("proxy-authorization") {
            request.push_str(line);
            request.push_str("\r\n");
        }
    }
    request.push_str("\r\n");
    upstream.write_all(request.as_bytes())?;
    upstream.write_all(body)?;
    upstream.shutdown(std::net::Shutdown::Write)?;

    let mut answer = Vec::new();
    upstream.read_to_end(&mut answer)?;
    client.write_all(&answer)
}

/// Answers 200 and copies bytes both ways until either side closes.
fn tunnel(client: BufReader<TcpStream>, mut writer: TcpStream, target: &str) {
    let Ok(upstream) = TcpStream::connect(target) else {
        let _ = writer.write_all(b"HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\n\r\n");
        return;
    };
    if writer
        .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
        .is_err()
    {
        return;
    }
    let (Ok(mut upstream_reader), mut upstream_writer) = (upstream.try_clone(), upstream) else {
        return;
    };
    let mut client = client.into_inner();
    std::thread::spawn(move || {
        let _ = std::io::copy(&mut client, &mut upstream_writer);
        let _ = upstream_writer.shutdown(std::net::Shutdown::Write);
    });
    let _ = std::io::copy(&mut upstream_reader, &mut writer);
    let _ = writer.shutdown(std::net::Shutdown::Write);
}
