//! The console's files, embedded in the binary: no CDN, no build step, works offline.

use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;

/// Every file the console serves: name, content type, content.
const ASSETS: &[(&str, &str, &str)] = &[
    ("index.html", HTML, include_str!("assets/index.html")),
    ("console.css", CSS, include_str!("assets/console.css")),
    ("app.js", JS, include_str!("assets/app.js")),
    ("http.js", JS, include_str!("assets/http.js")),
    ("dom.js", JS, include_str!("assets/dom.js")),
    ("apis.js", JS, include_str!("assets/apis.js")),
    ("test.js", JS, include_str!("assets/test.js")),
    ("trace.js", JS, include_str!("assets/trace.js")),
    (
        "certificates.js",
        JS,
        include_str!("assets/certificates.js"),
    ),
    (
        "subscriptions.js",
        JS,
        include_str!("assets/subscriptions.js"),
    ),
    ("policies.js", JS, include_str!("assets/policies.js")),
    ("overview.js", JS, include_str!("assets/overview.js")),
];

const HTML: &str = "text/html; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";
const JS: &str = "text/javascript; charset=utf-8";

/// The headers every console response carries. The page holds the admin token, so it runs
/// only its own scripts, is never framed, and talks only to this origin and the gateway (for
/// "Send directly from the browser").
#[derive(Debug, Clone)]
struct Security {
    policy: HeaderValue,
}

pub(super) fn router<S: Clone + Send + Sync + 'static>(gateway_url: &str) -> axum::Router<S> {
    let origin = gateway_url.trim_end_matches('/');
    let policy = format!(
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
         connect-src 'self' {origin}; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    );
    let security = Security {
        policy: HeaderValue::from_str(&policy)
            .unwrap_or_else(|_| HeaderValue::from_static("default-src 'self'")),
    };
    axum::Router::new()
        .route(
            "/console",
            get(|| async { Redirect::permanent("/console/") }),
        )
        .route("/console/", get(index))
        .route("/console/{file}", get(file))
        .with_state(security)
}

async fn index(State(security): State<Security>) -> Response {
    serve("index.html", &security)
}

async fn file(State(security): State<Security>, Path(name): Path<String>) -> Response {
    serve(&name, &security)
}

fn serve(name: &str, security: &Security) -> Response {
    let Some((_, content_type, content)) = ASSETS.iter().find(|(n, _, _)| *n == name) else {
        return (StatusCode::NOT_FOUND, "no such console file").into_response();
    };
    let headers = [
        (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
        (header::CONTENT_SECURITY_POLICY, security.policy.clone()),
        (
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ),
        (
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ),
        (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
    ];
    (headers, *content).into_response()
}

#[cfg(test)]
mod tests {
    use super::ASSETS;

    #[test]
    fn every_module_the_page_imports_is_served() {
        let served: Vec<&str> = ASSETS.iter().map(|(name, _, _)| *name).collect();
        for (name, _, content) in ASSETS {
            for line in content
                .lines()
                .filter(|l| l.trim_start().starts_with("import "))
            {
                let Some(start) = line.find("'./") else {
                    continue;
                };
                let imported = &line[start + 3..];
                let imported = &imported[..imported.find('\'').unwrap()];
                assert!(
                    served.contains(&imported),
                    "{name} imports {imported}, which is not served"
                );
            }
        }
    }
}
