//! Requests the gateway refuses before routing them: paths with dot segments, however they
//! are spelled, and HTTP/1.1 requests without exactly one `Host`. Sent with curl
//! (`--path-as-is`, so curl does not clean the path itself) and raw over `openssl s_client`.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use anyhow::{Context, Result};
use gatehouse_testkit::GatewayProcess;

const BINARY: &str = env!("CARGO_BIN_EXE_gatehouse");

fn start() -> Result<(tempfile::TempDir, GatewayProcess, String)> {
    let dir = tempfile::tempdir()?;
    let gateway = GatewayProcess::start(Path::new(BINARY), &dir.path().join("data"))?;
    let key = gateway
        .demo_key
        .clone()
        .context("the banner shows the demo key")?;
    Ok((dir, gateway, key))
}

#[test]
fn dot_segments_and_bad_escapes_are_refused_before_any_operation_or_backend() -> Result<()> {
    let (_dir, gateway, key) = start()?;
    let key_header = format!("Ocp-Apim-Subscription-Key: {key}");

    for path in [
        "/echo/other/../resource",
        "/echo/other/%2e%2e/resource",
        "/echo/other/%2E%2e%2Fresource",
        "/echo/other/..%5cresource",
        "/echo/./resource",
        "/echo/resource/%ZZ",
    ] {
        let response = gateway
            .call(path)
            .args(["--path-as-is"])
            .header(&key_header)
            .send()?;

        assert_eq!(response.status, 400, "{path}: {}", response.body);
        let body = response.json()?;
        assert_eq!(body["statusCode"], 400, "{path}");
        assert!(
            body["message"]
                .as_str()
                .unwrap_or_default()
                .contains("'..' segment"),
            "{path}: {body}"
        );
    }

    let clean = gateway.call("/echo/resource").header(&key_header).send()?;
    assert_eq!(clean.status, 200, "{}", clean.body);
    Ok(())
}

/// Sends `request` as is over one TLS connection and returns the status line.
fn raw_status_line(gateway: &GatewayProcess, request: &str) -> Result<String> {
    let port = gateway
        .gateway_url
        .rsplit(':')
        .next()
        .context("the gateway URL has a port")?;
    let mut child = Command::new("timeout")
        .args(["20", "openssl", "s_client", "-quiet", "-alpn", "http/1.1"])
        .args([
            "-connect",
            &format!("127.0.0.1:{port}"),
            "-servername",
            "localhost",
        ])
        .arg("-CAfile")
        .arg(gateway.ca())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .context("openssl s_client")?;
    child
        .stdin
        .take()
        .context("stdin")?
        .write_all(request.as_bytes())?;
    let output = child.wait_with_output()?;
    let text = String::from_utf8_lossy(&output.stdout);
    Ok(text.lines().next().unwrap_or_default().to_owned())
}

#[test]
fn an_http11_request_needs_exactly_one_host() -> Result<()> {
    let (_dir, gateway, key) = start()?;
    let request = |hosts: &str| {
        format!(
            "GET /echo/resource HTTP/1.1\r\n{hosts}Ocp-Apim-Subscription-Key: {key}\r\nConnection: close\r\n\r\n"
        )
    };

    let one = raw_status_line(&gateway, &request("Host: localhost\r\n"))?;
    let two = raw_status_line(
        &gateway,
        &request("Host: localhost\r\nHost: other.test\r\n"),
    )?;
    let none = raw_status_line(&gateway, &request(""))?;

    assert!(one.starts_with("HTTP/1.1 200"), "one Host: {one}");
    assert!(two.starts_with("HTTP/1.1 400"), "two Hosts: {two}");
    assert!(none.starts_with("HTTP/1.1 400"), "no Host: {none}");
    Ok(())
}

#[test]
fn header_blocks_up_to_64_kib_pass_over_both_versions_and_larger_ones_get_431() -> Result<()> {
    let (_dir, gateway, key) = start()?;
    let key_header = format!("Ocp-Apim-Subscription-Key: {key}");
    let header = |size: usize| format!("X-Large: {}", "a".repeat(size));

    for version in ["--http1.1", "--http2"] {
        // Over HTTP/2's usual 16 KiB list size, which refused the stream before the handler
        // saw it.
        let large = gateway
            .call("/echo/resource")
            .args([version])
            .header(&key_header)
            .header(&header(40_000))
            .send()?;
        assert_eq!(large.status, 200, "{version}: {}", large.body);
    }
    // curl cannot send an HTTP/2 header block over 64 KiB, so HTTP/1.1 shows the answer.
    let too_large = gateway
        .call("/echo/resource")
        .args(["--http1.1"])
        .header(&key_header)
        .header(&header(70_000))
        .send()?;
    assert_eq!(too_large.status, 431, "{}", too_large.body);
    assert_eq!(
        too_large.json()?["message"],
        "Request header fields too large"
    );
    Ok(())
}

#[test]
fn a_head_the_http_parser_refuses_is_logged_as_a_refusal() -> Result<()> {
    let (_dir, gateway, key) = start()?;
    let mut call = gateway
        .call("/echo/resource")
        .args(["--http1.1"])
        .header(&format!("Ocp-Apim-Subscription-Key: {key}"));
    // hyper's HTTP/1.1 parser takes at most 100 header fields.
    for n in 0..120 {
        call = call.header(&format!("X-Field-{n}: {n}"));
    }

    let response = call.send()?;

    assert_eq!(response.status, 431, "{}", response.body);
    // The line is written when the connection ends, just after curl has its answer.
    let logged = |log: &str| {
        log.lines().any(|l| {
            l.contains("request refused by the HTTP parser")
                && l.contains("bad_request")
                && l.contains("127.0.0.1")
        })
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !logged(&gateway.log()) && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert!(logged(&gateway.log()), "{}", gateway.log());
    Ok(())
}

/// Connects over TLS (offering `alpn`, or nothing), sends nothing, reads what the gateway
/// sends (an HTTP/2 server speaks first, with its settings), and prints `closed` and the
/// seconds it took when the gateway closed the connection, `open` when it was still open
/// after a minute.
const SILENT_CALLER: &str = r#"
import socket, ssl, sys, time
context = ssl.create_default_context(cafile=sys.argv[2])
if sys.argv[3] != "none":
    context.set_alpn_protocols([sys.argv[3]])
raw = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
tls = context.wrap_socket(raw, server_hostname="localhost")
start = time.monotonic()
try:
    while time.monotonic() - start < 60:
        tls.settimeout(max(0.1, 60 - (time.monotonic() - start)))
        if tls.recv(4096) == b"":
            print("closed", round(time.monotonic() - start))
            break
    else:
        print("open", 60)
except socket.timeout:
    print("open", 60)
except (ConnectionResetError, ssl.SSLError):
    print("closed", round(time.monotonic() - start))
"#;

#[test]
fn a_caller_that_sends_nothing_after_the_handshake_is_disconnected() -> Result<()> {
    let (_dir, gateway, _key) = start()?;
    let port = gateway
        .gateway_url
        .rsplit(':')
        .next()
        .context("the gateway URL has a port")?;

    let callers = ["http/1.1", "none", "h2"].map(|alpn| {
        Command::new("python3")
            .args(["-c", SILENT_CALLER, port])
            .arg(gateway.ca())
            .arg(alpn)
            .stdout(Stdio::piped())
            .spawn()
    });
    let mut outcomes = Vec::new();
    for caller in callers {
        let output = caller.context("python3")?.wait_with_output()?;
        outcomes.push(String::from_utf8_lossy(&output.stdout).trim().to_owned());
    }

    for outcome in &outcomes {
        assert!(outcome.starts_with("closed"), "{outcomes:?}");
    }
    Ok(())
}
