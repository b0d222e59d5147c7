//! The lean path to backends in the common case: no client certificate, strict TLS checks.
//!
//! hyper-util's pooled client runs every HTTP/1.1 connection in a task of its own: each
//! request is handed to that task through a channel, found in the pool under a mutex with a
//! SipHash of its key, and a further task is spawned per request to put the connection back
//! once its response is read. That was about a quarter of a proxied request's instructions.
//!
//! Here an HTTP/1.1 connection is driven by the task of the request that uses it: the
//! request's own future polls it until the response head arrives, and the response body polls
//! it while the caller's connection reads the body. When the body is done the connection goes
//! back to the pool, which is keyed by the backend's authority. A connection that negotiates
//! HTTP/2 (ALPN) is shared by all requests, so it keeps a task of its own, as in hyper-util.
//!
//! What stays as hyper-util does it: connecting (the same [`HttpsConnector`], so the same
//! DNS, TLS, ALPN and errors), idle connections expire after [`IDLE_TIMEOUT`] (checked when
//! the pool is used), and a request that fails on a reused connection before any of it was
//! written is sent again, on another connection.

use std::future::{Future, poll_fn};
use std::pin::{Pin, pin};
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

use bytes::Bytes;
use foldhash::HashMap;
use http::Uri;
use http_body::{Body as HttpBody, Frame, SizeHint};
use hyper::body::Incoming;
use hyper::client::conn::{TrySendError, http1, http2};
use hyper_rustls::{HttpsConnector, MaybeHttpsStream};
use hyper_util::client::legacy::connect::{Connection as _, HttpConnector};
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpStream;
use tower_service::Service;

/// The body type sent to backends (as in [`crate::upstream`]).
type OutBody =
    http_body_util::combinators::UnsyncBoxBody<Bytes, gatehouse_policy::runtime::BoxError>;

type Io = MaybeHttpsStream<TokioIo<TcpStream>>;

/// How long a connection may sit unused and still be reused: hyper-util's default.
const IDLE_TIMEOUT: Duration = Duration::from_secs(90);

/// Backend calls over pooled connections driven by the calling task.
#[derive(Clone)]
pub(crate) struct Direct {
    connector: HttpsConnector<HttpConnector>,
    pool: Arc<Pool>,
}

impl std::fmt::Debug for Direct {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Direct").finish_non_exhaustive()
    }
}

/// How many backends the pool keeps entries for before it forgets those with no idle
/// connection (`send-request` URLs may be computed, so there is no bound otherwise).
const MAX_ORIGINS: usize = 256;

/// The backends called so far: plain HTTP and HTTPS apart, each by authority (`host:port`).
#[derive(Default)]
struct Pool {
    idle_timeout: Duration,
    by_scheme: Mutex<[HashMap<Box<str>, Arc<Origin>>; 2]>,
}

/// One backend's idle connections. A response body holds its backend's entry, so the
/// connection goes back without another lookup.
struct Origin {
    idle_timeout: Duration,
    idle: Mutex<Idle>,
}

/// Idle HTTP/1.1 connections (most recently used last), and the shared HTTP/2 connection if
/// the backend chose HTTP/2.
#[derive(Default)]
struct Idle {
    h1: Vec<(Box<H1>, Instant)>,
    h2: Option<(http2::SendRequest<OutBody>, Instant)>,
}

/// An HTTP/1.1 connection: the handle requests are sent with, and the connection itself,
/// which whoever holds it must poll for anything to happen.
struct H1 {
    sender: http1::SendRequest<OutBody>,
    /// `None` once the connection is over (closed or failed). It is dropped then, not kept:
    /// dropping it answers a request still waiting on it, with the request if it was unsent.
    connection: Option<http1::Connection<Io, OutBody>>,
    /// What the connection and its channels are polled with (see [`Relay`]).
    relay: Arc<Relay>,
    waker: Waker,
}

/// How many times in a row [`H1::turn`] polls the connection again for wakes it caused
/// itself before it leaves the rest to the scheduler.
const MAX_TURNS: usize = 8;

/// The waker of an HTTP/1.1 connection driven by the task using it.
///
/// hyper wakes the connection's waker when a request is handed to it, when a response or
/// body chunk is handed back, and when the body's reader wants more: all of which happen
/// while this task is itself working the connection, so the wake would only schedule the
/// task again, one more poll of the caller's whole connection per wake. While the task
/// holds the relay, wakes are noted instead and the task polls again at once; at other
/// times (the backend's socket became readable) they go to the task.
#[derive(Default)]
struct Relay {
    state: AtomicU8,
    task: Mutex<Option<Waker>>,
}

/// [`Relay::state`]: the task is working the connection.
const HELD: u8 = 1;
/// [`Relay::state`]: a wake came while the task held the relay.
const MISSED: u8 = 2;

/// A connection taken for one request.
enum Lease {
    H1(Box<H1>),
    H2(http2::SendRequest<OutBody>),
}

/// Why a request got no response: the innermost cause, as the legacy client's errors are
/// described (hyper's outer message says little, the cause says what to fix).
pub(crate) type Failed = String;

impl Direct {
    /// Calls through `connector` (which must offer both HTTP/1.1 and HTTP/2 by ALPN).
    pub(crate) fn new(connector: HttpsConnector<HttpConnector>) -> Self {
        Self::with_idle_timeout(connector, IDLE_TIMEOUT)
    }

    fn with_idle_timeout(connector: HttpsConnector<HttpConnector>, idle_timeout: Duration) -> Self {
        let pool = Pool {
            idle_timeout,
            by_scheme: Mutex::default(),
        };
        Self {
            connector,
            pool: Arc::new(pool),
        }
    }

    /// Sends `request` (absolute URI, `Host` set) and returns the response once its head has
    /// arrived; its body streams from the backend as the caller reads it.
    pub(crate) async fn send(
        &self,
        mut request: http::Request<OutBody>,
    ) -> Result<http::Response<BackendBody>, Failed> {
        let uri = request.uri().clone();
        let origin = self.pool.origin(&uri)?;
        loop {
            let (lease, reused) = match origin.checkout().await {
                Some(lease) => (lease, true),
                // Boxed: connecting is rare, and its large future would otherwise be part of
                // (and copied with) every request's.
                None => (Box::pin(self.connect(&uri, &origin)).await?, false),
            };
            let attempt = match lease {
                Lease::H1(h1) => {
                    *request.uri_mut() = origin_form(&uri);
                    send_h1(h1, request, &origin).await
                }
                Lease::H2(sender) => send_h2(sender, request).await,
            };
            match attempt {
                Ok(response) => return Ok(response),
                Err(mut error) => match error.take_message() {
                    Some(unsent) if reused => {
                        tracing::debug!(error = %error.error(), "request not sent on a reused connection; trying again");
                        request = unsent;
                        *request.uri_mut() = uri.clone();
                    }
                    _ => return Err(innermost(&error.into_error())),
                },
            }
        }
    }

    /// A new connection, HTTP/2 if the backend chose it by ALPN (then also pooled at once,
    /// for other requests to share).
    async fn connect(&self, uri: &Uri, origin: &Origin) -> Result<Lease, Failed> {
        let mut connector = self.connector.clone();
        poll_fn(|cx| connector.poll_ready(cx))
            .await
            .map_err(|e| innermost(&*e))?;
        let io = connector
            .call(uri.clone())
            .await
            .map_err(|e| innermost(&*e))?;
        if io.connected().is_negotiated_h2() {
            let sender = handshake_h2(io).await.map_err(|e| innermost(&e))?;
            origin.put_h2(sender.clone());
            return Ok(Lease::H2(sender));
        }
        let (sender, connection) = http1::Builder::new()
            .handshake(io)
            .await
            .map_err(|e| innermost(&e))?;
        let relay = Arc::new(Relay::default());
        Ok(Lease::H1(Box::new(H1 {
            sender,
            connection: Some(connection),
            waker: Waker::from(relay.clone()),
            relay,
        })))
    }
}

/// An HTTP/2 connection running in a task of its own, ready for requests.
async fn handshake_h2(io: Io) -> hyper::Result<http2::SendRequest<OutBody>> {
    let (mut sender, connection) = http2::Builder::new(TokioExecutor::new())
        .handshake(io)
        .await?;
    tokio::spawn(async move {
        if let Err(error) = connection.await {
            tracing::debug!(%error, "backend HTTP/2 connection failed");
        }
    });
    sender.ready().await?;
    Ok(sender)
}

/// Sends on an HTTP/1.1 connection, polling it from this task until the response head is in.
async fn send_h1(
    mut h1: Box<H1>,
    request: http::Request<OutBody>,
    origin: &Arc<Origin>,
) -> Result<http::Response<BackendBody>, TrySendError<http::Request<OutBody>>> {
    // Handing the request over wakes the connection, which is polled right after anyway.
    let H1 { sender, relay, .. } = &mut *h1;
    let sending = relay.quietly(|| sender.try_send_request(request));
    let mut sending = pin!(sending);
    let answer = poll_fn(|cx| h1.turn(cx, |relayed| sending.as_mut().poll(relayed))).await?;
    let origin = origin.clone();
    Ok(answer.map(|incoming| BackendBody {
        incoming: Some(incoming),
        lease: Some((h1, origin)),
    }))
}

/// Sends on a shared HTTP/2 connection, which its own task drives.
async fn send_h2(
    mut sender: http2::SendRequest<OutBody>,
    request: http::Request<OutBody>,
) -> Result<http::Response<BackendBody>, TrySendError<http::Request<OutBody>>> {
    let answer = sender.try_send_request(request).await?;
    Ok(answer.map(|incoming| BackendBody {
        incoming: Some(incoming),
        lease: None,
    }))
}

impl H1 {
    /// Polls the connection, then `step` (which polls what the connection answers), both with
    /// the relay's waker, again while they woke it themselves. A wake noted when `step` is
    /// ready is not lost: whoever holds the connection polls it again or pools it, and the
    /// pool polls it before use.
    fn turn<T>(
        &mut self,
        cx: &Context<'_>,
        mut step: impl FnMut(&mut Context<'_>) -> Poll<T>,
    ) -> Poll<T> {
        let mut relayed = Context::from_waker(&self.waker);
        for _ in 0..MAX_TURNS {
            self.relay.hold(cx.waker());
            if let Some(connection) = &mut self.connection
                && Pin::new(connection).poll(&mut relayed).is_ready()
            {
                self.connection = None;
            }
            let stepped = step(&mut relayed);
            let missed = self.relay.release();
            if stepped.is_ready() || !missed {
                return stepped;
            }
        }
        cx.waker().wake_by_ref();
        Poll::Pending
    }

    /// Whether a pooled connection can take a request: the backend has not closed it (one
    /// poll reads a pending close) and it is between messages.
    fn usable(&mut self, cx: &Context<'_>) -> bool {
        let _ = self.turn(cx, |_| Poll::Ready(()));
        self.connection.is_some() && self.sender.is_ready()
    }
}

impl Relay {
    /// The task starts working the connection; `task` is woken for what comes later.
    fn hold(&self, task: &Waker) {
        let mut current = self.task.lock().unwrap_or_else(PoisonError::into_inner);
        if !current.as_ref().is_some_and(|w| w.will_wake(task)) {
            *current = Some(task.clone());
        }
        drop(current);
        self.state.store(HELD, Ordering::SeqCst);
    }

    /// Lets go of the last task's waker while the connection is idle in the pool: a waker
    /// keeps its task's memory allocated after the task has finished.
    fn forget_task(&self) {
        *self.task.lock().unwrap_or_else(PoisonError::into_inner) = None;
    }

    /// The task stops working the connection; whether a wake came meanwhile.
    fn release(&self) -> bool {
        self.state.swap(0, Ordering::SeqCst) & MISSED != 0
    }

    /// Runs `f`, dropping the wakes it causes: for what the task does to the connection just
    /// before polling it, or just before pooling it (the pool polls it before use).
    fn quietly<T>(&self, f: impl FnOnce() -> T) -> T {
        self.state.store(HELD, Ordering::SeqCst);
        let done = f();
        self.release();
        done
    }
}

impl Wake for Relay {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        if self.state.fetch_or(MISSED, Ordering::SeqCst) & HELD != 0 {
            return;
        }
        let task = self.task.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(task) = task.as_ref() {
            task.wake_by_ref();
        }
    }
}

impl Pool {
    /// The entry of `uri`'s backend (`build_request` made the URI absolute), made on first use.
    fn origin(&self, uri: &Uri) -> Result<Arc<Origin>, Failed> {
        let authority = uri
            .authority()
            .ok_or("the backend URL has no host")?
            .as_str();
        let https = uri.scheme() == Some(&http::uri::Scheme::HTTPS);
        let mut by_scheme = self
            .by_scheme
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let origins = &mut by_scheme[usize::from(https)];
        if let Some(origin) = origins.get(authority) {
            return Ok(origin.clone());
        }
        if origins.len() >= MAX_ORIGINS {
            origins.retain(|_, origin| Arc::strong_count(origin) > 1 || !origin.is_idle_empty());
        }
        let origin = Arc::new(Origin {
            idle_timeout: self.idle_timeout,
            idle: Mutex::default(),
        });
        origins.insert(authority.into(), origin.clone());
        Ok(origin)
    }
}

impl Origin {
    /// A pooled connection that is still usable, if there is one. Expired and closed
    /// connections met on the way are dropped, which closes them.
    async fn checkout(&self) -> Option<Lease> {
        loop {
            match self.take()? {
                Lease::H1(mut h1) => {
                    if poll_fn(|cx| Poll::Ready(h1.usable(cx))).await {
                        return Some(Lease::H1(h1));
                    }
                }
                shared @ Lease::H2(_) => return Some(shared),
            }
        }
    }

    /// The shared HTTP/2 connection if it is open, else the most recently used HTTP/1.1
    /// connection that has not been idle too long.
    fn take(&self) -> Option<Lease> {
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        let now = Instant::now();
        if let Some((sender, used)) = &mut idle.h2 {
            if !sender.is_closed() && now.duration_since(*used) < self.idle_timeout {
                *used = now;
                return Some(Lease::H2(sender.clone()));
            }
            idle.h2 = None;
        }
        while let Some((h1, since)) = idle.h1.pop() {
            if now.duration_since(since) < self.idle_timeout {
                return Some(Lease::H1(h1));
            }
        }
        None
    }

    fn is_idle_empty(&self) -> bool {
        let idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        idle.h1.is_empty() && idle.h2.is_none()
    }

    /// Pools `h1`. The connection that has waited longest goes if it has expired: checkout
    /// takes the most recent ones, so under steady load the oldest would never be looked at.
    fn put_h1(&self, h1: Box<H1>) {
        h1.relay.forget_task();
        let now = Instant::now();
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        if idle
            .h1
            .first()
            .is_some_and(|(_, since)| now.duration_since(*since) >= self.idle_timeout)
        {
            idle.h1.remove(0);
        }
        idle.h1.push((h1, now));
    }

    fn put_h2(&self, sender: http2::SendRequest<OutBody>) {
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        idle.h2 = Some((sender, Instant::now()));
    }
}

/// A response body from the backend. On HTTP/1.1 it also drives the connection the body
/// arrives on, and puts the connection back in the pool once the body has been read to the
/// end; dropped earlier, it closes the connection (the rest of the body was never read).
pub(crate) struct BackendBody {
    /// `None` once the body has ended and its connection went back to the pool.
    incoming: Option<Incoming>,
    lease: Option<(Box<H1>, Arc<Origin>)>,
}

impl HttpBody for BackendBody {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        let this = &mut *self;
        let Some(incoming) = &mut this.incoming else {
            return Poll::Ready(None);
        };
        let frame = match &mut this.lease {
            Some((h1, _)) => h1.turn(cx, |relayed| Pin::new(&mut *incoming).poll_frame(relayed)),
            None => Pin::new(incoming).poll_frame(cx),
        };
        let frame = std::task::ready!(frame);
        if frame.is_none() {
            this.release(true);
        }
        Poll::Ready(frame)
    }

    fn is_end_stream(&self) -> bool {
        self.incoming.as_ref().is_none_or(Incoming::is_end_stream)
    }

    fn size_hint(&self) -> SizeHint {
        self.incoming
            .as_ref()
            .map_or_else(|| SizeHint::with_exact(0), Incoming::size_hint)
    }
}

impl BackendBody {
    /// Returns the connection to the pool if the response was read to its end: `ended`, or
    /// known complete from its length (a chunked body knows only once it has ended). The
    /// body's channel is closed first, under the relay: closing it wakes the connection,
    /// which the pool polls before the next use anyway.
    fn release(&mut self, ended: bool) {
        if !ended && !self.is_end_stream() {
            return;
        }
        let Some((h1, origin)) = self.lease.take() else {
            return;
        };
        h1.relay.quietly(|| self.incoming = None);
        if h1.connection.is_some() {
            origin.put_h1(h1);
        }
    }
}

impl Drop for BackendBody {
    /// A body whose end was known from its length is often dropped without being polled to
    /// the end: its connection is still good.
    fn drop(&mut self) {
        self.release(false);
    }
}

/// The request target an HTTP/1.1 origin server expects: path and query only.
fn origin_form(uri: &Uri) -> Uri {
    uri.path_and_query()
        .cloned()
        .map_or_else(|| Uri::from_static("/"), Uri::from)
}

/// The innermost cause of an error, as the pooled client's errors are described.
fn innermost(error: &(dyn std::error::Error + 'static)) -> String {
    let mut source = error;
    while let Some(inner) = source.source() {
        source = inner;
    }
    source.to_string()
}

#[cfg(test)]
mod tests;
