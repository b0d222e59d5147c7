//! The local CA and the PFX writer, checked with the openssl and curl command-line tools.

mod support;

use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use gatehouse_cert::{LocalCa, PfxEncryption, write_pfx, write_pfx_with};
use support::{Workdir, openssl_thumbprint};

struct Pki {
    work: Workdir,
    ca: LocalCa,
}

/// CA, server certificate for localhost, client certificate as PFX, all in files.
fn pki() -> Pki {
    let work = Workdir::new();
    let ca = LocalCa::generate("Gatehouse Test CA").unwrap();
    work.write("ca.pem", ca.cert_pem().as_bytes());

    let ips = ["127.0.0.1".parse().unwrap(), "::1".parse().unwrap()];
    let server = ca.issue_server(&["localhost"], &ips).unwrap();
    work.write("server.pem", server.cert_pem().as_bytes());
    work.write("server.key", server.key_pem().as_bytes());

    let client = ca.issue_client("Client 01", 30).unwrap();
    work.write("client.pem", client.cert_pem().as_bytes());
    let pfx = write_pfx(
        client.certificate(),
        &[ca.certificate().clone()],
        client.private_key(),
        "Pa55word!",
    )
    .unwrap();
    work.write("client.pfx", &pfx);
    Pki { work, ca }
}

#[test]
fn openssl_verifies_issued_certificates() {
    let Pki { work, .. } = pki();
    for leaf in ["server.pem", "client.pem"] {
        let out = work.openssl(&["verify", "-CAfile", "ca.pem", leaf]);
        assert_eq!(out.trim(), format!("{leaf}: OK"));
    }

    let server = work.openssl(&[
        "x509",
        "-in",
        "server.pem",
        "-noout",
        "-ext",
        "subjectAltName,extendedKeyUsage",
    ]);
    assert!(
        server.contains("DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1"),
        "{server}"
    );
    assert!(server.contains("TLS Web Server Authentication"), "{server}");

    let client = work.openssl(&[
        "x509",
        "-in",
        "client.pem",
        "-noout",
        "-subject",
        "-ext",
        "extendedKeyUsage",
    ]);
    assert!(client.contains("subject=CN = Client 01"), "{client}");
    assert!(client.contains("TLS Web Client Authentication"), "{client}");

    let ca = work.openssl(&[
        "x509",
        "-in",
        "ca.pem",
        "-noout",
        "-ext",
        "basicConstraints,keyUsage",
    ]);
    assert!(
        ca.contains("CA:TRUE, pathlen:0") && ca.contains("Certificate Sign"),
        "{ca}"
    );
}

#[test]
fn openssl_reads_written_pfx_files() {
    let Pki { work, ca } = pki();
    let info = work.openssl(&[
        "pkcs12",
        "-info",
        "-in",
        "client.pfx",
        "-passin",
        "pass:Pa55word!",
        "-noout",
    ]);
    let info = info
        + &String::from_utf8_lossy(
            &work
                .run(&[
                    "pkcs12",
                    "-info",
                    "-in",
                    "client.pfx",
                    "-passin",
                    "pass:Pa55word!",
                    "-noout",
                ])
                .stderr,
        );
    assert!(info.contains("MAC: sha256"), "{info}");
    assert!(info.contains("PBES2, PBKDF2, AES-256-CBC"), "{info}");

    work.openssl(&[
        "pkcs12",
        "-in",
        "client.pfx",
        "-passin",
        "pass:Pa55word!",
        "-clcerts",
        "-nokeys",
        "-out",
        "leaf-out.pem",
    ]);
    assert_eq!(
        openssl_thumbprint(&work, "leaf-out.pem"),
        openssl_thumbprint(&work, "client.pem")
    );

    work.openssl(&[
        "pkcs12",
        "-in",
        "client.pfx",
        "-passin",
        "pass:Pa55word!",
        "-nocerts",
        "-noenc",
        "-out",
        "key-out.pem",
    ]);
    let from_key = work.openssl(&["pkey", "-in", "key-out.pem", "-pubout"]);
    let from_cert = work.openssl(&["x509", "-in", "client.pem", "-noout", "-pubkey"]);
    assert_eq!(
        from_key, from_cert,
        "the PFX key belongs to the certificate"
    );

    work.openssl(&[
        "pkcs12",
        "-in",
        "client.pfx",
        "-passin",
        "pass:Pa55word!",
        "-cacerts",
        "-nokeys",
        "-out",
        "chain-out.pem",
    ]);
    assert_eq!(
        openssl_thumbprint(&work, "chain-out.pem"),
        ca.certificate().thumbprint().to_string()
    );

    let wrong = work.run(&[
        "pkcs12",
        "-in",
        "client.pfx",
        "-passin",
        "pass:wrong",
        "-noout",
    ]);
    assert!(!wrong.status.success());
}

#[test]
fn openssl_reads_legacy_pfx_files() {
    let Pki { work, ca } = pki();
    let client = ca.issue_client("Legacy Client", 1).unwrap();
    let pfx = write_pfx_with(
        client.certificate(),
        &[],
        client.private_key(),
        "pw",
        PfxEncryption::Legacy3Des,
    )
    .unwrap();
    work.write("legacy.pfx", &pfx);

    let output = work.run(&[
        "pkcs12",
        "-info",
        "-in",
        "legacy.pfx",
        "-passin",
        "pass:pw",
        "-noout",
    ]);
    let text = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{text}");
    assert!(
        text.contains("MAC: sha1") && text.contains("pbeWithSHA1And3-KeyTripleDES-CBC"),
        "{text}"
    );
}

#[test]
fn curl_presents_the_pfx_to_a_tls_server_that_requires_it() {
    let Pki { work, .. } = pki();
    let port = free_port();
    let mut server = ServerGuard(spawn_s_server(&work, port));
    wait_for_port(port);

    for host in ["localhost", "127.0.0.1"] {
        let url = format!("https://{host}:{port}/");
        let with_cert = curl(
            &work,
            &["--cert-type", "P12", "--cert", "client.pfx:Pa55word!", &url],
        );
        assert!(
            with_cert.status.success(),
            "curl {host}: {}",
            String::from_utf8_lossy(&with_cert.stderr)
        );
        let page = String::from_utf8_lossy(&with_cert.stdout);
        assert!(
            page.contains("Client 01"),
            "the server saw the client certificate:\n{page}"
        );
    }

    let without_cert = curl(&work, &[&format!("https://localhost:{port}/")]);
    assert!(
        !without_cert.status.success(),
        "the server requires a client certificate"
    );
    server.0.kill().ok();
}

/// Stops the openssl server even when an assertion fails.
struct ServerGuard(Child);

impl Drop for ServerGuard {
    fn drop(&mut self) {
        self.0.kill().ok();
        self.0.wait().ok();
    }
}

fn spawn_s_server(work: &Workdir, port: u16) -> Child {
    Command::new("openssl")
        .args([
            "s_server",
            "-accept",
            &port.to_string(),
            "-cert",
            "server.pem",
            "-key",
            "server.key",
        ])
        .args(["-CAfile", "ca.pem", "-Verify", "1", "-www", "-quiet"])
        .current_dir(work.dir())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start openssl s_server")
}

fn curl(work: &Workdir, args: &[&str]) -> std::process::Output {
    Command::new("curl")
        .args([
            "--silent",
            "--show-error",
            "--fail",
            "--max-time",
            "10",
            "--cacert",
            "ca.pem",
        ])
        .args(args)
        .current_dir(work.dir())
        .output()
        .expect("run curl")
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn wait_for_port(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "openssl s_server did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
}
