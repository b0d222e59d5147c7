//! The lean backend path against backends on loopback ports: plain HTTP/1.1 ones written by
//! hand (so each test decides exactly what the backend sends and when it closes), and an
//! HTTPS one that chooses HTTP/2 by ALPN.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::Result;
use bytes::Bytes;
use gatehouse_policy::runtime::BackendTls;
use http_body_util::{BodyExt, Empty};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;

use super::{BackendBody, Direct, OutBody};

/// What the hand-written backend does with the `n`th request it reads (counted over all
/// its connections): writes `head`, waits for `more` if given, writes `tail`, and closes
/// the connection if `close`.
#[derive(Clone, Copy)]
struct Answer {
    head: &'static str,
    tail: &'static str,
    close: bool,
}

const OK: Answer = Answer {
    head: "HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok",
    tail: "",
    close: false,
};

/// A backend that counts the connections it accepted.
struct Backend {
    addr: SocketAddr,
    accepted: Arc<AtomicUsize>,
    /// Lets the backend write an answer's `tail`.
    more: Arc<Notify>,
}

impl Backend {
    async fn start(answer: fn(usize) -> Answer) -> Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let backend = Self {
            addr: listener.local_addr()?,
            accepted: Arc::default(),
            more: Arc::default(),
        };
        let (accepted, more) = (backend.accepted.clone(), backend.more.clone());
        let requests = Arc::new(AtomicUsize::new(0));
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                accepted.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(serve(stream, answer, requests.clone(), more.clone()));
            }
        });
        Ok(backend)
    }

    fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }

    fn request(&self) -> http::Request<OutBody> {
        get(
            &format!("http://{}/path?q=1", self.addr),
            &self.addr.to_string(),
        )
    }
}

async fn serve(
    mut stream: TcpStream,
    answer: fn(usize) -> Answer,
    requests: Arc<AtomicUsize>,
    more: Arc<Notify>,
) {
    let mut received = Vec::new();
    let mut buf = [0u8; 1024];
    loop {
        while let Some(end) = received.windows(4).position(|w| w == b"\r\n\r\n") {
            received.drain(..end + 4);
            let a = answer(requests.fetch_add(1, Ordering::SeqCst));
            if stream.write_all(a.head.as_bytes()).await.is_err() {
                return;
            }
            if !a.tail.is_empty() {
                more.notified().await;
                if stream.write_all(a.tail.as_bytes()).await.is_err() {
                    return;
                }
            }
            if a.close {
                return;
            }
        }
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => received.extend_from_slice(&buf[..n]),
        }
    }
}

fn get(uri: &str, host: &str) -> http::Request<OutBody> {
    let body = Empty::<Bytes>::new()
        .map_err(|never| match never {})
        .boxed_unsync();
    let mut request = http::Request::new(body);
    *request.uri_mut() = uri.parse().expect("a test URI");
    request
        .headers_mut()
        .insert(http::header::HOST, host.parse().expect("a test host"));
    request
}

fn direct(roots: rustls::RootCertStore) -> Result<Direct> {
    let roots = Arc::new(roots);
    let connector = crate::upstream::build_connector(&roots, None, BackendTls::default())
        .map_err(anyhow::Error::msg)?;
    Ok(Direct::new(connector))
}

/// Sends the backend's usual request through `direct`.
async fn send(direct: &Direct, backend: &Backend) -> Result<http::Response<BackendBody>> {
    direct
        .send(backend.request())
        .await
        .map_err(anyhow::Error::msg)
}

async fn text(response: http::Response<BackendBody>) -> Result<String> {
    let body = response.into_body().collect().await?.to_bytes();
    Ok(String::from_utf8(body.to_vec())?)
}

#[tokio::test]
async fn sequential_requests_share_one_kept_alive_connection() -> Result<()> {
    let backend = Backend::start(|_| OK).await?;
    let direct = direct(rustls::RootCertStore::empty())?;
    for _ in 0..3 {
        let response = send(&direct, &backend).await?;
        assert_eq!(response.status(), 200);
        assert_eq!(text(response).await?, "ok");
    }
    assert_eq!(backend.accepted(), 1);
    Ok(())
}

#[tokio::test]
async fn a_kept_alive_connection_the_backend_closed_is_not_used_again() -> Result<()> {
    // The backend closes right after its answer (this single-threaded runtime runs the
    // client only once the close was sent), without saying so in a `Connection` header.
    let backend = Backend::start(|_| Answer { close: true, ..OK }).await?;
    let direct = direct(rustls::RootCertStore::empty())?;
    for _ in 0..2 {
        let response = send(&direct, &backend).await?;
        assert_eq!(text(response).await?, "ok");
    }
    assert_eq!(backend.accepted(), 2);
    Ok(())
}

#[tokio::test]
async fn a_connection_idle_longer_than_the_idle_timeout_is_not_reused() -> Result<()> {
    let backend = Backend::start(|_| OK).await?;
    let connector = direct(rustls::RootCertStore::empty())?.connector;
    let direct = Direct::with_idle_timeout(connector, std::time::Duration::ZERO);
    for _ in 0..2 {
        let response = send(&direct, &backend).await?;
        assert_eq!(text(response).await?, "ok");
    }
    assert_eq!(backend.accepted(), 2);
    Ok(())
}

#[tokio::test]
async fn a_body_that_arrives_after_the_head_streams_and_its_connection_is_reused() -> Result<()> {
    let backend = Backend::start(|n| match n {
        0 => Answer {
            head: "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n",
            tail: "3\r\ndef\r\n0\r\n\r\n",
            close: false,
        },
        _ => OK,
    })
    .await?;
    let direct = direct(rustls::RootCertStore::empty())?;
    let response = send(&direct, &backend).await?;
    backend.more.notify_one();
    assert_eq!(text(response).await?, "abcdef");
    let response = send(&direct, &backend).await?;
    assert_eq!(text(response).await?, "ok");
    assert_eq!(backend.accepted(), 1);
    Ok(())
}

#[tokio::test]
async fn a_body_dropped_before_its_end_closes_its_connection() -> Result<()> {
    let backend = Backend::start(|n| match n {
        0 => Answer {
            head: "HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nhello",
            ..OK
        },
        _ => OK,
    })
    .await?;
    let direct = direct(rustls::RootCertStore::empty())?;
    let mut body = send(&direct, &backend).await?.into_body();
    let first = body.frame().await.expect("a frame")?.into_data().ok();
    assert_eq!(first.as_deref(), Some(&b"hello"[..]));
    drop(body);
    let response = send(&direct, &backend).await?;
    assert_eq!(text(response).await?, "ok");
    assert_eq!(backend.accepted(), 2);
    Ok(())
}

#[tokio::test]
async fn an_unreachable_backend_is_described_by_the_innermost_cause() -> Result<()> {
    // Bound but not listening: connecting is refused, and no other test can take the port
    // meanwhile (a dropped listener's port can be taken at once by a test running alongside).
    let reserved = tokio::net::TcpSocket::new_v4()?;
    reserved.bind("127.0.0.1:0".parse()?)?;
    let closed = reserved.local_addr()?;
    let direct = direct(rustls::RootCertStore::empty())?;
    let request = get(&format!("http://{closed}/"), &closed.to_string());
    let error = direct
        .send(request)
        .await
        .err()
        .expect("no backend listens");
    assert!(error.contains("Connection refused"), "{error}");
    Ok(())
}

/// An HTTPS backend that offers only HTTP/2 by ALPN, with a certificate for `localhost`
/// signed by the returned CA.
async fn h2_backend(pki: &gatehouse_testkit::Pki) -> Result<(Backend, rustls::RootCertStore)> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};

    let (ca, cert, key) = pki.server()?;
    let mut roots = rustls::RootCertStore::empty();
    roots.add(CertificateDer::from_pem_file(&ca)?)?;
    let chain = vec![CertificateDer::from_pem_file(&cert)?];
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(chain, PrivateKeyDer::from_pem_file(&key)?)?;
    config.alpn_protocols = vec![b"h2".to_vec()];
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));

    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let backend = Backend {
        addr: listener.local_addr()?,
        accepted: Arc::default(),
        more: Arc::default(),
    };
    let accepted = backend.accepted.clone();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            accepted.fetch_add(1, Ordering::SeqCst);
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let service = hyper::service::service_fn(|request: http::Request<_>| async move {
                    let answer = format!("{:?}", request.version());
                    Ok::<_, std::convert::Infallible>(http::Response::new(
                        http_body_util::Full::new(Bytes::from(answer)),
                    ))
                });
                let _ =
                    hyper::server::conn::http2::Builder::new(hyper_util::rt::TokioExecutor::new())
                        .serve_connection(hyper_util::rt::TokioIo::new(tls), service)
                        .await;
            });
        }
    });
    Ok((backend, roots))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_https_backend_that_chooses_http2_is_called_over_one_shared_connection() -> Result<()> {
    let pki = gatehouse_testkit::Pki::new()?;
    let (backend, roots) = h2_backend(&pki).await?;
    let direct = direct(roots)?;
    let url = format!("https://localhost:{}/h2", backend.addr.port());
    let host = format!("localhost:{}", backend.addr.port());
    for _ in 0..3 {
        let response = direct
            .send(get(&url, &host))
            .await
            .map_err(anyhow::Error::msg)?;
        assert_eq!(response.version(), http::Version::HTTP_2);
        assert_eq!(text(response).await?, "HTTP/2.0");
    }
    assert_eq!(backend.accepted(), 1);
    Ok(())
}

#[tokio::test]
async fn pooling_a_connection_closes_the_longest_idle_one_once_it_has_expired() -> Result<()> {
    let backend = Backend::start(|_| OK).await?;
    let connector = direct(rustls::RootCertStore::empty())?.connector;
    let direct = Direct::with_idle_timeout(connector, std::time::Duration::ZERO);
    // Two responses in flight at once: two connections, each pooled when its body is read.
    let first = send(&direct, &backend).await?;
    let second = send(&direct, &backend).await?;
    assert_eq!(backend.accepted(), 2);
    let uri = backend.request().uri().clone();
    let origin = direct.pool.origin(&uri).map_err(anyhow::Error::msg)?;
    let pooled = || {
        origin
            .idle
            .lock()
            .map(|idle| idle.h1.len())
            .unwrap_or_default()
    };
    assert_eq!(text(first).await?, "ok");
    assert_eq!(pooled(), 1);
    assert_eq!(text(second).await?, "ok");
    assert_eq!(pooled(), 1, "the expired connection was closed");
    Ok(())
}
