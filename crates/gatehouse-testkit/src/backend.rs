//! A plain HTTP backend for forwarding tests: answers every request with JSON describing it
//! and keeps what it received.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

use anyhow::Result;
use serde_json::{Value, json};

/// A backend on an ephemeral loopback port, served from a thread.
#[derive(Debug, Clone)]
pub struct RecordingBackend {
    addr: SocketAddr,
    received: Arc<Mutex<Vec<Value>>>,
}

impl RecordingBackend {
    /// Starts the backend.
    ///
    /// # Errors
    /// When no port can be bound.
    pub fn start() -> Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let backend = Self {
            addr: listener.local_addr()?,
            received: Arc::default(),
        };
        let received = backend.received.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().map_while(Result::ok) {
                let received = received.clone();
                std::thread::spawn(move || serve(stream, &received));
            }
        });
        Ok(backend)
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The requests received so far, as `{method, target, headers, body}`.
    pub fn received(&self) -> Vec<Value> {
        self.received.lock().map(|r| r.clone()).unwrap_or_default()
    }
}

/// Serves requests on one connection until the client closes it.
fn serve(stream: TcpStream, received: &Mutex<Vec<Value>>) {
    let Ok(mut writer) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(stream);
    while let Some(request) = read_request(&mut reader) {
        let body = json!({ "backend": "recording", "request": request }).to_string();
        if let Ok(mut list) = received.lock() {
            list.push(request);
        }
        let response = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nx-backend: recording\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        );
        if writer.write_all(response.as_bytes()).is_err() {
            return;
        }
    }
}

fn read_request(reader: &mut BufReader<TcpStream>) -> Option<Value> {
    let mut line = String::new();
    reader.read_line(&mut line).ok().filter(|n| *n > 0)?;
    let mut parts = line.split_whitespace();
    let (method, target) = (parts.next()?.to_owned(), parts.next()?.to_owned());

    let mut headers = serde_json::Map::new();
    let mut length = 0;
    loop {
        let mut header = String::new();
        reader.read_line(&mut header).ok()?;
        let Some((name, value)) = header.trim_end().split_once(':') else {
            break;
        };
        let (name, value) = (name.trim().to_ascii_lowercase(), value.trim().to_owned());
        if name == "content-length" {
            length = value.parse().unwrap_or(0);
        }
        headers.insert(name, Value::String(value));
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some(
        json!({ "method": method, "target": target, "headers": headers, "body": String::from_utf8_lossy(&body) }),
    )
}
