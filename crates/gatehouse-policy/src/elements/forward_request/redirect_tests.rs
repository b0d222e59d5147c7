//! Redirect targets and the request each hop sends.

use http::HeaderValue;

use super::*;

fn url(text: &str) -> Url {
    Url::parse(text).unwrap()
}

fn sent(method: Method, at: &str, body: Option<&str>) -> Sent {
    let mut headers = HeaderMap::new();
    for (name, value) in [
        ("authorization", "Bearer secret"),
        ("cookie", "session=1"),
        ("ocp-apim-subscription-key", "key"),
        ("x-api-key", "custom"),
        ("content-type", "application/json"),
        ("host", "backend.test"),
        ("x-trace", "kept"),
    ] {
        headers.insert(
            HeaderName::from_static(name),
            HeaderValue::from_static(value),
        );
    }
    Sent {
        method,
        url: url(at),
        headers,
        body: body.map(|b| Bytes::copy_from_slice(b.as_bytes())),
    }
}

fn redirect(status: u16, location: &str) -> Response {
    let mut headers = HeaderMap::new();
    headers.insert(LOCATION, HeaderValue::from_str(location).unwrap());
    Response {
        status,
        headers,
        ..Response::default()
    }
}

fn keys() -> Vec<HeaderName> {
    vec![
        HeaderName::from_static("ocp-apim-subscription-key"),
        HeaderName::from_static("x-api-key"),
    ]
}

#[test]
fn locations_resolve_as_rfc_3986_says() {
    let base = url("http://a.test/b/c/d?q=1");
    let cases = [
        ("https://x.test/y", "https://x.test/y"),
        ("//x.test/y", "http://x.test/y"),
        ("/g", "http://a.test/g"),
        ("g", "http://a.test/b/c/g"),
        ("./g/", "http://a.test/b/c/g/"),
        ("../g", "http://a.test/b/g"),
        ("../..", "http://a.test/"),
        ("?y=2", "http://a.test/b/c/d?y=2"),
        ("g#frag", "http://a.test/b/c/g"),
        ("", "http://a.test/b/c/d?q=1"),
    ];
    for (location, expected) in cases {
        assert_eq!(
            resolve(&base, location).map(|u| u.to_string()),
            Some(expected.to_owned()),
            "{location}"
        );
    }
}

#[test]
fn only_http_and_https_targets_are_followed() {
    let base = url("http://a.test/");

    for location in [
        "ftp://x.test/f",
        "file:///etc/passwd",
        "javascript:alert(1)",
    ] {
        assert!(resolve(&base, location).is_none(), "{location}");
    }
}

#[test]
fn see_other_turns_a_post_into_a_get_without_body() {
    let next = next_hop(
        &sent(Method::POST, "http://backend.test/a", Some("{}")),
        &redirect(303, "/b"),
        &keys(),
    )
    .unwrap();

    assert_eq!(next.method, Method::GET);
    assert_eq!(next.body.as_deref(), Some(&b""[..]));
    assert!(next.headers.get(CONTENT_TYPE).is_none());
    assert!(next.headers.get(HOST).is_none());
    assert_eq!(next.headers.get(AUTHORIZATION).unwrap(), "Bearer secret");
}

#[test]
fn temporary_and_permanent_redirects_keep_method_and_body() {
    for status in [307, 308] {
        let next = next_hop(
            &sent(Method::PUT, "http://backend.test/a", Some("data")),
            &redirect(status, "http://backend.test/b"),
            &keys(),
        )
        .unwrap();

        assert_eq!(next.method, Method::PUT, "{status}");
        assert_eq!(next.body.as_deref(), Some(&b"data"[..]), "{status}");
        assert_eq!(next.headers.get(CONTENT_TYPE).unwrap(), "application/json");
    }
}

#[test]
fn a_body_that_cannot_be_sent_again_stops_at_the_redirect() {
    let streamed = sent(Method::POST, "http://backend.test/a", None);

    assert!(next_hop(&streamed, &redirect(307, "/b"), &keys()).is_none());
    assert!(
        next_hop(&streamed, &redirect(302, "/b"), &keys()).is_some(),
        "a 302 POST becomes a GET"
    );
}

#[test]
fn credentials_stay_with_their_origin() {
    let next = next_hop(
        &sent(Method::GET, "http://backend.test/a", Some("")),
        &redirect(302, "http://other.test/b"),
        &keys(),
    )
    .unwrap();

    for name in [
        "authorization",
        "cookie",
        "ocp-apim-subscription-key",
        "x-api-key",
    ] {
        assert!(next.headers.get(name).is_none(), "{name} was forwarded");
    }
    assert_eq!(next.headers.get("x-trace").unwrap(), "kept");

    let other_port = next_hop(
        &sent(Method::GET, "http://backend.test/a", Some("")),
        &redirect(301, "http://backend.test:8080/b"),
        &keys(),
    )
    .unwrap();
    assert!(other_port.headers.get(AUTHORIZATION).is_none());
}

#[test]
fn https_is_never_downgraded_and_other_statuses_are_not_followed() {
    let secure = sent(Method::GET, "https://backend.test/a", Some(""));

    assert!(next_hop(&secure, &redirect(302, "http://backend.test/b"), &keys()).is_none());
    assert!(next_hop(&secure, &redirect(300, "/b"), &keys()).is_none());
    assert!(next_hop(&secure, &redirect(304, "/b"), &keys()).is_none());
    let mut no_location = redirect(302, "/b");
    no_location.headers.clear();
    assert!(next_hop(&secure, &no_location, &keys()).is_none());
}
