//! `<rewrite-uri template="/users/{id}" copy-unmatched-params="true"/>`: replaces the path
//! (and query) the request is forwarded to, relative to the backend's base URL.
//!
//! `{name}` in the template is the operation's template parameter of that name (percent-
//! encoded). With `copy-unmatched-params` (the default), query parameters of the request that
//! the operation's template does not name are carried over, unless the template sets them.

use serde_json::json;

use crate::compile::{Compiler, Text};
use crate::reader::Element;
use crate::runtime::{Exchange, Failure, Url, encode_component, query_pairs};

#[derive(Clone, Debug)]
pub(crate) struct RewriteUri {
    template: Text,
    copy_unmatched: bool,
}

pub(crate) fn compile(element: &Element, cx: &mut Compiler<'_>) -> Option<RewriteUri> {
    let template = cx.required_text(element, "template")?;
    let copy_unmatched = cx.flag(element, "copy-unmatched-params").unwrap_or(true);
    Some(RewriteUri {
        template,
        copy_unmatched,
    })
}

impl RewriteUri {
    pub(crate) fn texts<'a>(&'a self, out: &mut Vec<&'a Text>) {
        out.push(&self.template);
    }

    pub(crate) fn run(&self, ex: &mut Exchange) -> Result<(), Failure> {
        let template = self
            .template
            .string(ex)
            .map_err(|e| Failure::expression("rewrite-uri", &e))?;
        let filled = fill(&template, &ex.matched_parameters);
        let (path, template_query) = filled.split_once('?').unwrap_or((&filled, ""));

        let mut query: Vec<String> = template_query
            .split('&')
            .filter(|p| !p.is_empty())
            .map(str::to_owned)
            .collect();
        if self.copy_unmatched {
            query.extend(self.unmatched(ex, &query));
        }

        let base = base_of(ex);
        let url = Url {
            path: join_path(&base.path, path),
            query: query.join("&"),
            ..base
        };
        ex.record("rewrite-uri", || {
            json!({ "message": "Updated request URL per specified rewrite template.", "request": { "url": url.to_string() } })
        });
        ex.set_request_url(url);
        Ok(())
    }

    /// The request's query parameters the operation template does not name and the
    /// template does not set, as written.
    fn unmatched(&self, ex: &Exchange, set: &[String]) -> Vec<String> {
        let matched = operation_query_names(ex);
        let set_names: Vec<String> = set.iter().map(|p| pair_name(p)).collect();
        ex.request
            .url
            .query
            .split('&')
            .filter(|p| !p.is_empty())
            .filter(|p| {
                let name = pair_name(p);
                !matched.contains(&name) && !set_names.contains(&name)
            })
            .map(str::to_owned)
            .collect()
    }
}

/// Replaces `{name}` (and `{*name}`) with the matched parameter's value, encoded; unknown
/// names stay as written.
fn fill(template: &str, parameters: &[(std::sync::Arc<str>, std::sync::Arc<str>)]) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}').map(|c| open + c) else {
            break;
        };
        out.push_str(&rest[..open]);
        let name = rest[open + 1..close].trim_start_matches('*');
        match parameters.iter().find(|(n, _)| &**n == name) {
            Some((_, value)) => out.push_str(&encode_path_value(value)),
            None => out.push_str(&rest[open..=close]),
        }
        rest = &rest[close + 1..];
    }
    out.push_str(rest);
    out
}

/// A parameter value for a path: each segment encoded, slashes kept (for `{*rest}`).
fn encode_path_value(value: &str) -> String {
    value
        .split('/')
        .map(|segment| encode_component(segment).into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

/// The decoded name of a `name=value` pair.
fn pair_name(pair: &str) -> String {
    query_pairs(pair).next().map(|(n, _)| n).unwrap_or_default()
}

/// The query parameter names the operation's URL template declares (`/r?a={a}` names `a`).
fn operation_query_names(ex: &Exchange) -> Vec<String> {
    let Some(operation) = &ex.resolved.operation else {
        return Vec::new();
    };
    let query = operation
        .url_template
        .split_once('?')
        .map_or("", |(_, q)| q);
    query_pairs(query).map(|(name, _)| name).collect()
}

/// The backend's base URL: the service URL or what `set-backend-service` set; without one,
/// the request's own scheme, host and port.
fn base_of(ex: &Exchange) -> Url {
    match &ex.backend_base {
        Some(base) => base.clone(),
        None => Url {
            path: String::new(),
            query: String::new(),
            ..ex.request.url.clone()
        },
    }
}

/// `base` and `path` joined with exactly one slash.
pub(crate) fn join_path(base: &str, path: &str) -> String {
    let base = base.trim_end_matches('/');
    let path = path.trim_start_matches('/');
    match (base.is_empty(), path.is_empty()) {
        (true, true) => "/".to_owned(),
        (true, false) => format!("/{path}"),
        (false, true) => base.to_owned(),
        (false, false) => format!("{base}/{path}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_take_matched_parameters_encoded() {
        let parameters = vec![("id".into(), "a b".into()), ("rest".into(), "x/y z".into())];
        assert_eq!(
            fill("/users/{id}/f/{*rest}", &parameters),
            "/users/a%20b/f/x/y%20z"
        );
        assert_eq!(fill("/u/{unknown}", &parameters), "/u/{unknown}");
    }

    #[test]
    fn paths_join_with_one_slash() {
        assert_eq!(join_path("/api/", "/resource"), "/api/resource");
        assert_eq!(join_path("", "resource"), "/resource");
        assert_eq!(join_path("", ""), "/");
    }
}
