//! The built-in echo backend behind `gatehouse://echo`: it answers with the request it got,
//! as JSON, so the Echo API works out of the box without any network access.

use bytes::Bytes;
use gatehouse_policy::runtime::{Body, BodyError, Request, Response};
use http::HeaderValue;
use http::header::CONTENT_TYPE;
use serde_json::{Map, Value, json};

use gatehouse_policy::runtime::decode_component;

/// The largest request body the echo backend reads back.
const MAX_ECHO_BODY: usize = 1024 * 1024;

/// Answers `request` with a JSON description of it: method, path, query, headers, body.
pub(crate) async fn respond(mut request: Request) -> Response {
    let body = match std::mem::take(&mut request.body)
        .collect(MAX_ECHO_BODY)
        .await
    {
        Ok(bytes) => bytes,
        Err(BodyError::TooLarge { .. }) => {
            return error(413, "the echo backend reads at most 1 MiB");
        }
        Err(BodyError::Broken(cause)) => return error(400, &cause.to_string()),
    };
    let document = describe(&request, &body);

    let mut response = Response::default();
    response.headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    if request.method != http::Method::HEAD {
        response.body = Body::from(Bytes::from(document.to_string()));
    }
    response
}

fn describe(request: &Request, body: &[u8]) -> Value {
    let mut document = json!({
        "method": request.method.as_str(),
        "path": request.url.path,
        "query": query_object(&request.url.query),
        "headers": headers_object(&request.headers),
    });
    match std::str::from_utf8(body) {
        Ok(text) => document["body"] = json!(text),
        Err(_) => {
            use base64::Engine;
            document["body"] = json!(base64::engine::general_purpose::STANDARD.encode(body));
            document["bodyEncoding"] = json!("base64");
        }
    }
    document
}

/// Query parameters by name; a repeated parameter's values are joined with `,`.
fn query_object(query: &str) -> Value {
    let mut object = Map::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let (name, value) = (decode_component(name), decode_component(value));
        append(&mut object, &name, &value, ",");
    }
    Value::Object(object)
}

/// Headers by name as sent on the wire (lowercase); repeated values are joined with `, `.
fn headers_object(headers: &http::HeaderMap) -> Value {
    let mut object = Map::new();
    for (name, value) in headers {
        append(
            &mut object,
            name.as_str(),
            &String::from_utf8_lossy(value.as_bytes()),
            ", ",
        );
    }
    Value::Object(object)
}

fn append(object: &mut Map<String, Value>, name: &str, value: &str, separator: &str) {
    match object.get_mut(name) {
        Some(Value::String(existing)) => {
            existing.push_str(separator);
            existing.push_str(value);
        }
        _ => _ = object.insert(name.to_owned(), json!(value)),
    }
}

fn error(status: u16, message: &str) -> Response {
    let mut response = Response {
        status,
        ..Response::default()
    };
    response
        .headers
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response.body = Body::from(json!({ "statusCode": status, "message": message }).to_string());
    response
}

#[cfg(test)]
mod tests {
    use gatehouse_policy::runtime::Url;

    use super::*;

    fn request(method: http::Method, url: &str) -> Request {
        let mut headers = http::HeaderMap::new();
        headers.append("x-a", "1".parse().unwrap());
        headers.append("x-a", "2".parse().unwrap());
        Request {
            method,
            url: Url::parse(url).unwrap(),
            headers,
            body: Body::Empty,
        }
    }

    #[tokio::test]
    async fn echoes_method_path_query_headers_and_body() {
        let mut request = request(
            http::Method::POST,
            "gatehouse://echo/resource?p=a%20b&p=c&flag",
        );
        request.body = Body::from("hello".to_owned());
        let response = respond(request).await;

        let body: Value = serde_json::from_slice(response.body.bytes().unwrap()).unwrap();
        assert_eq!(body["method"], "POST");
        assert_eq!(body["path"], "/resource");
        assert_eq!(body["query"], json!({"p": "a b,c", "flag": ""}));
        assert_eq!(body["headers"]["x-a"], "1, 2");
        assert_eq!(body["body"], "hello");
    }

    #[tokio::test]
    async fn head_gets_headers_only_and_binary_bodies_come_back_as_base64() {
        let head = respond(request(http::Method::HEAD, "gatehouse://echo/resource")).await;
        assert!(head.body.bytes().unwrap().is_empty());

        let mut put = request(http::Method::PUT, "gatehouse://echo/r");
        put.body = Body::Full(Bytes::from_static(&[0xff, 0x00]));
        let response = respond(put).await;
        let body: Value = serde_json::from_slice(response.body.bytes().unwrap()).unwrap();
        assert_eq!(
            (body["body"].as_str(), body["bodyEncoding"].as_str()),
            (Some("/wA="), Some("base64"))
        );
    }
}
