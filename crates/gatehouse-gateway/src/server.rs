//! TLS listeners: TCP accept, TLS handshake, HTTP/1.1 or HTTP/2, graceful drain.
//!
//! [`serve_tls`] serves one fixed TLS configuration (the admin listener); [`serve`] is the
//! gateway's listener, which picks the TLS settings per connection from the server name
//! the caller asks for ([`crate::sni`]) and identifies the caller by client certificate once
//! per connection.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::{Duration, Instant};

use bytes::Bytes;
use gatehouse_cert::Certificate;
use gatehouse_cert::verify::MAX_PRESENTED_CERTIFICATES;
use hyper::body::Incoming;
use hyper::service::{Service, service_fn};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use rustls::{ServerConfig, ServerConnection};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::server::TlsStream;
use tokio_rustls::{LazyConfigAcceptor, TlsAcceptor};
use tracing::Instrument;

use crate::connection::Connection;
use crate::handler::Gateway;
use crate::hostnames::{ClientCertificateMode, Site};
use crate::sni::GatewayTls;

/// How long a caller has to finish the TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a caller has to send a request's headers on HTTP/1.1.
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);
/// How long connections get to finish in-flight requests at shutdown.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);
/// How long the listener stops accepting after `accept` failed for want of resources (file
/// descriptors, memory): retrying at once would only spin, and the connections that are
/// open need the CPU to finish and free what is short.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(250);
/// At most one warning per this long while `accept` keeps failing.
const ACCEPT_WARN_EVERY: Duration = Duration::from_secs(10);

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Completes TLS handshakes, reporting what settings each connection got.
trait Handshake: Send + Sync + 'static {
    /// What the connection's service needs to know about the handshake's settings.
    type Settings: Send + 'static;

    fn handshake(
        &self,
        tcp: TcpStream,
    ) -> impl Future<Output = Option<(TlsStream<TcpStream>, Self::Settings)>> + Send;
}

/// One configuration for every connection.
struct Fixed(TlsAcceptor);

impl Handshake for Fixed {
    type Settings = ();

    async fn handshake(&self, tcp: TcpStream) -> Option<(TlsStream<TcpStream>, ())> {
        let accepting = self.0.accept(tcp);
        let tls = finish(tokio::time::timeout(HANDSHAKE_TIMEOUT, accepting).await)?;
        Some((tls, ()))
    }
}

/// The gateway's: settings by server name from the current snapshot.
struct BySni {
    tls: GatewayTls,
    gateway: Arc<Gateway>,
}

impl Handshake for BySni {
    type Settings = Arc<Site>;

    async fn handshake(&self, tcp: TcpStream) -> Option<(TlsStream<TcpStream>, Arc<Site>)> {
        let deadline = tokio::time::Instant::now() + HANDSHAKE_TIMEOUT;
        let hello = LazyConfigAcceptor::new(rustls::server::Acceptor::default(), tcp);
        let start = finish(tokio::time::timeout_at(deadline, hello).await)?;

        let server_name = start.client_hello().server_name().map(str::to_owned);
        let snapshot = self.gateway.snapshot();
        let site = snapshot.hostnames().resolve(server_name.as_deref()).clone();
        let config = match self.tls.config_for(&site) {
            Ok(config) => config,
            Err(error) => {
                tracing::warn!(%error, server_name, "no TLS configuration for the server name");
                return None;
            }
        };

        match tokio::time::timeout_at(deadline, start.into_stream(config)).await {
            Ok(Ok(tls)) => Some((tls, site)),
            Ok(Err(error)) => {
                log_refused_handshake(&error, &site, server_name.as_deref());
                None
            }
            Err(_) => {
                tracing::debug!("TLS handshake timed out");
                None
            }
        }
    }
}

/// Serves the gateway on `listener` until `shutdown` completes, then drains connections.
pub async fn serve(
    listener: TcpListener,
    tls: GatewayTls,
    gateway: Arc<Gateway>,
    shutdown: impl Future<Output = ()>,
) {
    let handshake = BySni {
        tls,
        gateway: gateway.clone(),
    };
    let on_connection = move |peer: SocketAddr, tls: &ServerConnection, site: Arc<Site>| {
        let connection = Arc::new(identify(peer, tls, site.mode)?);
        let gateway = gateway.clone();
        Some(service_fn(move |request| {
            let (gateway, connection) = (gateway.clone(), connection.clone());
            async move { Ok::<_, Infallible>(gateway.handle(&connection, request).await) }
        }))
    };
    serve_with(listener, handshake, on_connection, shutdown).await;
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
    let fixed = Fixed(TlsAcceptor::from(tls));
    let on_connection = move |peer, tls: &ServerConnection, ()| on_connection(peer, tls);
    serve_with(listener, fixed, on_connection, shutdown).await;
}

/// A request the HTTP library refused before the handler saw it (a head over its limits, a
/// malformed request line) is an access decision, logged at info like the handler's; other
/// connection errors (a caller going away mid-request) only at debug.
fn log_connection_error(error: &(dyn std::error::Error + Send + Sync + 'static), peer: SocketAddr) {
    let refused = error
        .downcast_ref::<hyper::Error>()
        .is_some_and(|e| e.is_parse() || e.is_parse_too_large());
    if refused {
        tracing::info!(
            client.ip = %peer.ip(),
            decision = "bad_request",
            reason = %error,
            "request refused by the HTTP parser"
        );
    } else {
        tracing::debug!(%error, "connection closed with an error");
    }
}

async fn serve_with<H, F, S, B>(
    listener: TcpListener,
    handshake: H,
    on_connection: F,
    shutdown: impl Future<Output = ()>,
) where
    H: Handshake,
    F: Fn(SocketAddr, &ServerConnection, H::Settings) -> Option<S> + Send + Sync + 'static,
    S: Service<http::Request<Incoming>, Response = http::Response<B>> + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<BoxError>,
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    let graceful = GracefulShutdown::new();
    let (http, on_connection) = (Arc::new(http_settings()), Arc::new(on_connection));
    let handshake = Arc::new(handshake);
    let mut failures = AcceptFailures::default();
    let silent = Arc::new(SilentConnections::default());
    let _reaper = AbortOnDrop(tokio::spawn(silent.clone().close_when_due()));
    tokio::pin!(shutdown);

    loop {
        let (tcp, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    if let Some(pause) = failures.record(&error) {
                        tokio::select! {
                            () = tokio::time::sleep(pause) => {}
                            () = &mut shutdown => break,
                        }
                    }
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let watcher = graceful.watcher();
        let (handshake, http, on_connection) =
            (handshake.clone(), http.clone(), on_connection.clone());
        let first = silent.watch();
        let task = async move {
            let _ = tcp.set_nodelay(true);
            let Some((tls, settings)) = handshake.handshake(tcp).await else {
                return;
            };
            let Some(service) = on_connection(peer, tls.get_ref().1, settings) else {
                return;
            };
            let service = FirstRequest {
                inner: service,
                first: first.clone(),
            };
            let serving = http.serve_connection(TokioIo::new(tls), service);
            let serving = std::pin::pin!(watcher.watch(serving.into_owned()));
            let outcome = first.until_silent(serving).await;
            if let Some(Err(error)) = outcome {
                log_connection_error(&*error, peer);
            }
        };
        tokio::spawn(task.instrument(tracing::debug_span!("connection", client.ip = %peer.ip())));
    }

    drain(graceful).await;
}

/// Both protocols' settings. The protocol is read from the connection's first bytes, which
/// keeps an idle connection down to a few bytes of state until it sends something (serving
/// HTTP/1.1 from the start would give each one the parser's 8 KiB buffer and a timer, twice
/// the memory per idle connection); [`SilentConnections`] bounds that wait.
fn http_settings() -> auto::Builder<TokioExecutor> {
    let mut http = auto::Builder::new(TokioExecutor::new());
    http.http1()
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT);
    http.http2()
        .max_header_list_size(crate::malformed::H2_MAX_HEADER_LIST);
    http
}

/// Connections that have not sent a request yet, oldest first, each with the time it must
/// have sent one by. Neither reading a connection's first bytes (to tell the protocol) nor
/// HTTP/2 has a timeout of its own, so a caller that connects and stays silent would hold its
/// connection forever; later requests on HTTP/1.1 meet the header read timeout. One task
/// checks them every second, so an idle connection carries no timer of its own.
#[derive(Default)]
struct SilentConnections {
    waiting: Mutex<Waiting>,
}

/// When each connection must have sent a request by, in the order they were accepted.
type Waiting = VecDeque<(Instant, Weak<FirstRequestState>)>;

/// Whether a connection sent its first request, and how to close it when it did not in time.
#[derive(Default)]
struct FirstRequestState {
    opened: AtomicBool,
    close: tokio::sync::Notify,
}

impl SilentConnections {
    /// Starts the clock for a connection accepted now.
    fn watch(&self) -> Arc<FirstRequestState> {
        let state = Arc::new(FirstRequestState::default());
        let due = Instant::now() + HEADER_READ_TIMEOUT;
        self.lock().push_back((due, Arc::downgrade(&state)));
        state
    }

    /// Closes the connections whose time is up and that sent nothing; returns how many.
    fn close_due(&self, now: Instant) -> usize {
        let mut waiting = self.lock();
        let mut closed = 0;
        while waiting.front().is_some_and(|(due, _)| *due <= now) {
            let Some((_, state)) = waiting.pop_front() else {
                break;
            };
            if let Some(state) = state.upgrade()
                && !state.opened.load(Ordering::Relaxed)
            {
                state.close.notify_one();
                closed += 1;
            }
        }
        closed
    }

    async fn close_when_due(self: Arc<Self>) {
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            tick.tick().await;
            let closed = self.close_due(Instant::now());
            if closed > 0 {
                tracing::debug!(closed, "closed connections that sent no request in time");
            }
        }
    }

    fn lock(&self) -> MutexGuard<'_, Waiting> {
        self.waiting
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl FirstRequestState {
    /// Serves the connection until it ends, or until it is closed for sending no request
    /// (`None`). It takes the connection pinned where it is: moved in, it would be kept twice
    /// in the task (~2.5 KiB more per connection).
    async fn until_silent<F: Future>(&self, serving: Pin<&mut F>) -> Option<F::Output> {
        tokio::select! {
            outcome = serving => Some(outcome),
            () = self.close.notified() => None,
        }
    }
}

/// Notes that a connection carried a request, for [`SilentConnections`].
struct FirstRequest<S> {
    inner: S,
    first: Arc<FirstRequestState>,
}

impl<S: Service<R>, R> Service<R> for FirstRequest<S> {
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn call(&self, request: R) -> Self::Future {
        self.first.opened.store(true, Ordering::Relaxed);
        self.inner.call(request)
    }
}

/// Aborts the task when dropped: the check of silent connections ends with the listener.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// `accept` failures: those that concern one connection (it was reset before it was taken)
/// are retried at once; running out of file descriptors or memory pauses the listener, and
/// warnings come at most once per [`ACCEPT_WARN_EVERY`] with how many failed meanwhile.
#[derive(Default)]
struct AcceptFailures {
    last_warned: Option<Instant>,
    unreported: u64,
}

impl AcceptFailures {
    /// Records `error` and returns how long to pause before accepting again, if at all.
    fn record(&mut self, error: &std::io::Error) -> Option<Duration> {
        if !is_resource_shortage(error) {
            tracing::debug!(%error, "accept failed for one connection");
            return None;
        }
        self.unreported += 1;
        let due = self
            .last_warned
            .is_none_or(|at| at.elapsed() >= ACCEPT_WARN_EVERY);
        if due {
            tracing::warn!(
                %error,
                failures = self.unreported,
                pause_ms = ACCEPT_BACKOFF.as_millis() as u64,
                "accept failed: pausing the listener (raise the open-files limit, ulimit -n, if this repeats)"
            );
            self.last_warned = Some(Instant::now());
            self.unreported = 0;
        }
        Some(ACCEPT_BACKOFF)
    }
}

/// EMFILE, ENFILE, ENOBUFS and ENOMEM: the process or the system is short of something a new
/// connection needs, and retrying at once cannot succeed.
fn is_resource_shortage(error: &std::io::Error) -> bool {
    // Linux's numbers: ENOMEM, ENFILE, EMFILE, ENOBUFS.
    const SHORTAGES: [i32; 4] = [12, 23, 24, 105];
    error
        .raw_os_error()
        .is_some_and(|code| SHORTAGES.contains(&code))
}

/// The stream of a handshake that finished in time, or `None` with the reason logged.
fn finish<T>(outcome: Result<std::io::Result<T>, tokio::time::error::Elapsed>) -> Option<T> {
    match outcome {
        Ok(Ok(done)) => Some(done),
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

/// A handshake refused because the hostname requires a certificate is a security decision
/// (info); other failures are routine (debug).
fn log_refused_handshake(error: &std::io::Error, site: &Site, server_name: Option<&str>) {
    let tls_error = error
        .get_ref()
        .and_then(|e| e.downcast_ref::<rustls::Error>());
    if site.mode == ClientCertificateMode::Require
        && matches!(tls_error, Some(rustls::Error::NoCertificatesPresented))
    {
        tracing::info!(
            server_name,
            hostname.id = site.id.as_deref(),
            decision = "certificate_required",
            "handshake refused: the hostname requires a client certificate"
        );
        return;
    }
    tracing::debug!(%error, server_name, "TLS handshake failed");
}

/// Parses the client certificate and the intermediates once for the whole connection. A
/// certificate the caller proved it holds but that cannot be read closes the connection: it
/// cannot be judged, so it cannot be let through. Intermediates that cannot be read are
/// left out: they could never be part of a chain.
fn identify(
    peer: SocketAddr,
    tls: &ServerConnection,
    mode: ClientCertificateMode,
) -> Option<Connection> {
    let presented = tls.peer_certificates().unwrap_or_default();
    let Some((der, rest)) = presented.split_first() else {
        return Some(Connection::new(peer, None, Vec::new(), mode));
    };
    let certificate = match Certificate::from_der(der.as_ref()) {
        Ok(certificate) => certificate,
        Err(error) => {
            tracing::warn!(%error, "client certificate cannot be parsed; closing the connection");
            return None;
        }
    };
    let chain: Vec<Certificate> = rest
        .iter()
        .take(MAX_PRESENTED_CERTIFICATES)
        .filter_map(|der| Certificate::from_der(der.as_ref()).ok())
        .collect();
    tracing::debug!(
        client.cert.thumbprint = &**certificate.thumbprint(),
        intermediates = chain.len(),
        "client certificate presented"
    );
    Some(Connection::new(peer, Some(certificate), chain, mode))
}

async fn drain(graceful: GracefulShutdown) {
    if tokio::time::timeout(DRAIN_TIMEOUT, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("connections still open after the drain timeout; closing them");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn running_out_of_descriptors_pauses_the_listener_and_warns_once_per_period() {
        let mut failures = AcceptFailures::default();
        let emfile = std::io::Error::from_raw_os_error(24);

        let pauses: Vec<_> = (0..1000).map(|_| failures.record(&emfile)).collect();

        assert!(pauses.iter().all(|p| *p == Some(ACCEPT_BACKOFF)));
        assert_eq!(
            failures.unreported, 999,
            "one warning, the rest counted for the next"
        );
    }

    #[test]
    fn a_connection_reset_before_it_was_taken_is_retried_at_once() {
        let mut failures = AcceptFailures::default();
        let aborted = std::io::Error::from(std::io::ErrorKind::ConnectionAborted);

        assert_eq!(failures.record(&aborted), None);
        assert_eq!(failures.unreported, 0);
    }

    #[test]
    fn connections_that_sent_nothing_are_closed_once_their_time_is_up() {
        let silent = SilentConnections::default();
        let quiet = silent.watch();
        let talking = silent.watch();
        talking.opened.store(true, Ordering::Relaxed);
        drop(silent.watch());

        let early = silent.close_due(Instant::now());
        let due = silent.close_due(Instant::now() + HEADER_READ_TIMEOUT);

        assert_eq!(
            (early, due),
            (0, 1),
            "only the quiet one, once its time was up"
        );
        assert!(
            silent.lock().is_empty(),
            "closed, talking and gone ones are forgotten"
        );
        let closed = std::pin::pin!(quiet.close.notified());
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        assert!(
            closed.poll(&mut cx).is_ready(),
            "the quiet connection was told to close"
        );
    }
}
