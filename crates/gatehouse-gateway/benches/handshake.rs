//! The TLS 1.3 handshake in memory, with the gateway's server configuration and its
//! client-certificate verifier (`tls::server_config` with `ClientAuth::Request`), against one
//! without client authentication; and the per-connection parse of the client certificate.
//!
//! The handshake figures include the client's work (it signs and verifies too), so the
//! difference between the two, not either alone, is what asking for a certificate costs.
//! Run with `cargo bench -p gatehouse-gateway --bench handshake` (needs `openssl`); times
//! are CPU time (see `support/cpu_time.rs`).

#![allow(missing_docs)]

use std::hint::black_box;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use gatehouse_gateway::tls::{ClientAuth, server_config};
use gatehouse_testkit::Pki;
use rustls::client::Resumption;
use rustls::crypto::{CryptoProvider, aws_lc_rs};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::{
    ClientConfig, ClientConnection, Connection, RootCertStore, ServerConfig, ServerConnection,
};

use crate::cpu_time::ThreadCpuTime;

#[path = "support/cpu_time.rs"]
mod cpu_time;

/// Files for both sides: the server's CA, certificate and key, the client's certificate and key.
struct Files {
    _pki: Pki,
    ca: PathBuf,
    server: (PathBuf, PathBuf),
    client: (PathBuf, PathBuf),
}

fn files() -> Files {
    let pki = Pki::new().expect("a temporary directory");
    let (ca, cert, key) = pki.server().expect("openssl makes the server certificate");
    let client = pki
        .self_signed_client("bench")
        .expect("openssl makes the client certificate");
    Files {
        _pki: pki,
        ca,
        server: (cert, key),
        client: (client.cert, client.key),
    }
}

/// A client like the benchmark's: X25519 only, no resumption, optionally a certificate.
fn client_config(files: &Files, with_certificate: bool) -> Arc<ClientConfig> {
    let mut roots = RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_file(&files.ca).expect("the CA"))
        .expect("a usable CA");
    let provider = CryptoProvider {
        kx_groups: vec![aws_lc_rs::kx_group::X25519],
        ..aws_lc_rs::default_provider()
    };
    let builder = ClientConfig::builder_with_provider(Arc::new(provider))
        .with_protocol_versions(&[&rustls::version::TLS13])
        .expect("TLS 1.3")
        .with_root_certificates(roots);
    let mut config = if with_certificate {
        let chain =
            vec![CertificateDer::from_pem_file(&files.client.0).expect("the client certificate")];
        let key = PrivateKeyDer::from_pem_file(&files.client.1).expect("the client key");
        builder
            .with_client_auth_cert(chain, key)
            .expect("a matching key")
    } else {
        builder.with_no_client_auth()
    };
    config.resumption = Resumption::disabled();
    Arc::new(config)
}

fn server(files: &Files, client_auth: ClientAuth) -> Arc<ServerConfig> {
    server_config(&files.server.0, &files.server.1, client_auth)
        .expect("the gateway's TLS configuration")
}

/// One full handshake, both sides in this thread, records passed through a buffer.
fn handshake(client: &Arc<ClientConfig>, server: &Arc<ServerConfig>) -> bool {
    let name = "localhost".try_into().expect("a DNS name");
    let mut client =
        Connection::from(ClientConnection::new(client.clone(), name).expect("a client"));
    let mut server = Connection::from(ServerConnection::new(server.clone()).expect("a server"));
    let mut buffer = Vec::with_capacity(8192);
    while client.is_handshaking() || server.is_handshaking() {
        transfer(&mut client, &mut server, &mut buffer);
        transfer(&mut server, &mut client, &mut buffer);
    }
    server.peer_certificates().is_some()
}

fn transfer(from: &mut Connection, to: &mut Connection, buffer: &mut Vec<u8>) {
    buffer.clear();
    while from.wants_write() {
        from.write_tls(buffer).expect("writing to memory");
    }
    let mut records = buffer.as_slice();
    while !records.is_empty() {
        to.read_tls(&mut records).expect("reading from memory");
        to.process_new_packets().expect("a valid handshake");
    }
}

fn handshakes(c: &mut Criterion<ThreadCpuTime>) {
    let files = files();
    let with_certificate = (
        client_config(&files, true),
        server(&files, ClientAuth::Request),
    );
    let without = (
        client_config(&files, false),
        server(&files, ClientAuth::Off),
    );
    assert!(handshake(&with_certificate.0, &with_certificate.1));

    let mut group = c.benchmark_group("tls13_handshake_in_memory");
    group.bench_function("client_certificate_requested_and_sent", |b| {
        b.iter(|| handshake(black_box(&with_certificate.0), &with_certificate.1))
    });
    group.bench_function("no_client_authentication", |b| {
        b.iter(|| handshake(black_box(&without.0), &without.1))
    });
    group.finish();

    let der = std::fs::read(&files.client.0).expect("the client certificate");
    let der = CertificateDer::from_pem_slice(&der).expect("PEM");
    c.bench_function("identify_client_certificate", |b| {
        b.iter(|| gatehouse_cert::Certificate::from_der(black_box(der.as_ref())).is_ok())
    });
}

fn config() -> Criterion<ThreadCpuTime> {
    Criterion::default()
        .with_measurement(ThreadCpuTime)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3))
        .sample_size(30)
}

criterion_group! {
    name = benches;
    config = config();
    targets = handshakes
}
criterion_main!(benches);
