//! TLS listeners: TCP accept, TLS handshake, HTTP/1.1 or HTTP/2 per ALPN, graceful drain.
//!
//! [`serve_tls`] is shared by the gateway and the admin listener; [`serve`] is the gateway's
//! use of it, which identifies the caller by client certificate once per connection.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use gatehouse_cert::Certificate;
use hyper::body::Incoming;
use hyper::service::{Service, service_fn};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use rustls::{ServerConfig, ServerConnection};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tracing::Instrument;

use crate::connection::Connection;
use crate::handler::Gateway;

/// How long a caller has to finish the TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a caller has to send a request's headers on HTTP/1.1.
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);
/// How long connections get to finish in-flight requests at shutdown.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Serves the gateway on `listener` until `shutdown` completes, then drains connections.
pub async fn serve(
    listener: TcpListener,
    tls: Arc<ServerConfig>,
    gateway: Arc<Gateway>,
    shutdown: impl Future<Output = ()>,
) {
    let on_connection = move |peer: SocketAddr, tls: &ServerConnection| {
        let connection = Arc::new(identify(peer, tls)?);
        let gateway = gateway.clone();
        Some(service_fn(move |request| {
            let (gateway, connection) = (gateway.clone(), connection.clone());
            async move { Ok::<_, Infallible>(gateway.handle(&connection, request).await) }
        }))
    };
    serve_tls(listener, tls, on_connection, shutdown).await;
}

/// Accepts TLS connections on `listener` and serves each with the service `on_connection`
/// makes for it (`None` closes the connection), until `shutdown` completes.
pub async fn serve_tls<F, S, B>(
    listener: TcpListener,
    tls: Arc<ServerConfig>,
    on_connection: F,
    shutdown: impl Future<Output = ()>,
) where
    F: Fn(SocketAddr, &ServerConnection) -> Option<S> + Send + Sync + 'static,
    S: Service<http::Request<Incoming>, Response = http::Response<B>> + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<BoxError>,
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    let acceptor = TlsAcceptor::from(tls);
    let graceful = GracefulShutdown::new();
    let mut http = auto::Builder::new(TokioExecutor::new());
    http.http1()
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT);
    let (http, on_connection) = (Arc::new(http), Arc::new(on_connection));
    tokio::pin!(shutdown);

    loop {
        let (tcp, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    tracing::warn!(%error, "accept failed");
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let watcher = graceful.watcher();
        let (acceptor, http, on_connection) =
            (acceptor.clone(), http.clone(), on_connection.clone());
        let task = async move {
            let Some(tls) = handshake(acceptor, tcp).await else {
                return;
            };
            let Some(service) = on_connection(peer, tls.get_ref().1) else {
                return;
            };
            let serving = http.serve_connection(TokioIo::new(tls), service);
            if let Err(error) = watcher.watch(serving.into_owned()).await {
                tracing::debug!(%error, "connection closed with an error");
            }
        };
        tokio::spawn(task.instrument(tracing::debug_span!("connection", client.ip = %peer.ip())));
    }

    drain(graceful).await;
}

async fn handshake(
    acceptor: TlsAcceptor,
    tcp: TcpStream,
) -> Option<tokio_rustls::server::TlsStream<TcpStream>> {
    let _ = tcp.set_nodelay(true);
    match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
        Ok(Ok(tls)) => Some(tls),
        Ok(Err(error)) => {
            tracing::debug!(%error, "TLS handshake failed");
            None
        }
        Err(_) => {
            tracing::debug!("TLS handshake timed out");
            None
        }
    }
}

/// Parses the client certificate once for the whole connection. A certificate the caller
/// proved it holds but that cannot be read closes the connection: it cannot be judged, so it
/// cannot be let through.
fn identify(peer: SocketAddr, tls: &ServerConnection) -> Option<Connection> {
    let Some(der) = tls.peer_certificates().and_then(|chain| chain.first()) else {
        return Some(Connection::new(peer, None));
    };
    match Certificate::from_der(der.as_ref()) {
        Ok(certificate) => {
            tracing::debug!(
                client.cert.thumbprint = &**certificate.thumbprint(),
                "client certificate presented"
            );
            Some(Connection::new(peer, Some(certificate)))
        }
        Err(error) => {
            tracing::warn!(%error, "client certificate cannot be parsed; closing the connection");
            None
        }
    }
}

async fn drain(graceful: GracefulShutdown) {
    if tokio::time::timeout(DRAIN_TIMEOUT, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("connections still open after the drain timeout; closing them");
    }
}
