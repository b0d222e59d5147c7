//! The admin listener: HTTPS without client certificates, serving the management API.

use std::future::Future;
use std::sync::Arc;

use hyper_util::service::TowerToHyperService;
use rustls::ServerConfig;
use tokio::net::TcpListener;

/// Serves `router` on `listener` until `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    tls: Arc<ServerConfig>,
    router: axum::Router,
    shutdown: impl Future<Output = ()>,
) {
    let on_connection =
        move |_, _: &rustls::ServerConnection| Some(TowerToHyperService::new(router.clone()));
    gatehouse_gateway::server::serve_tls(listener, tls, on_connection, shutdown).await;
}
