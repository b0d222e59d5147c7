//! `<set-backend-service base-url="https://..."/>` or `backend-id="id"`: changes the backend
//! the request is forwarded to, keeping the path below the old base URL and the query.
//!
//! Service Fabric (`sf-*`) and Dapr (`dapr-*`) backends need services this gateway does not
//! have, so those attributes are refused when the policy is saved.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::json;

use super::rewrite_uri::join_path;
use crate::compile::{BackendEntity, Compiler, Text};
use crate::reader::{Code, Element};
use crate::runtime::{BackendTls, Exchange, Failure, Url};

#[derive(Clone, Debug)]
pub(crate) struct SetBackendService {
    target: Target,
}

#[derive(Clone, Debug)]
enum Target {
    /// A URL, fixed or computed.
    BaseUrl(Text),
    /// A backend entity resolved when the policy was compiled.
    Backend(String, BackendEntity),
    /// A backend entity named per request.
    BackendExpression(Text, Arc<HashMap<String, BackendEntity>>),
}

pub(crate) fn compile(element: &Element, cx: &mut Compiler<'_>) -> Option<SetBackendService> {
    if refuses_foreign_backends(element, cx) {
        return None;
    }
    let target = match (
        element.attribute("base-url"),
        element.attribute("backend-id"),
    ) {
        (Some(_), Some(_)) | (None, None) => {
            let message = "<set-backend-service> needs exactly one of 'base-url' and 'backend-id'";
            cx.error(element.position, Code::MissingAttribute, message);
            return None;
        }
        (Some(attribute), None) => Target::BaseUrl(base_url(cx, &attribute.value)?),
        (None, Some(attribute)) => backend(cx, &attribute.value)?,
    };
    Some(SetBackendService { target })
}

/// Refuses the Service Fabric and Dapr attributes; true when there were any.
fn refuses_foreign_backends(element: &Element, cx: &mut Compiler<'_>) -> bool {
    let mut refused = false;
    for attribute in &element.attributes {
        let needs = if attribute.name.starts_with("sf-") {
            "Service Fabric"
        } else if attribute.name.starts_with("dapr-") {
            "a Dapr sidecar"
        } else {
            continue;
        };
        let message = format!(
            "attribute '{}' of <set-backend-service> is not supported by this gateway: it needs {needs}",
            attribute.name
        );
        cx.unsupported(attribute.position, message);
        refused = true;
    }
    refused
}

fn base_url(cx: &mut Compiler<'_>, value: &crate::reader::Value) -> Option<Text> {
    let text = cx.value(value)?;
    if let Some(literal) = text.literal()
        && let Err(reason) = Url::parse(literal.trim())
    {
        cx.error(
            value.position,
            Code::InvalidValue,
            format!("base-url: {reason}"),
        );
        return None;
    }
    Some(text)
}

fn backend(cx: &mut Compiler<'_>, value: &crate::reader::Value) -> Option<Target> {
    let text = cx.value(value)?;
    let Some(id) = text.literal().map(str::trim) else {
        return Some(Target::BackendExpression(text, cx.env.backends().clone()));
    };
    match cx.env.backend(id) {
        Some(entity) => Some(Target::Backend(id.to_owned(), entity.clone())),
        None => {
            let message = format!("backend '{id}' is not defined (PUT /backends/{id} first)");
            cx.error(value.position, Code::InvalidValue, message);
            None
        }
    }
}

impl SetBackendService {
    pub(crate) fn texts<'a>(&'a self, out: &mut Vec<&'a Text>) {
        match &self.target {
            Target::BaseUrl(text) | Target::BackendExpression(text, _) => out.push(text),
            Target::Backend(..) => {}
        }
    }

    pub(crate) fn run(&self, ex: &mut Exchange) -> Result<(), Failure> {
        let (base, tls) = self.resolve(ex)?;
        let backend = match &self.target {
            Target::Backend(id, _) => format!(" (backend '{id}')"),
            _ => String::new(),
        };
        let below = relative_path(ex);
        let url = Url {
            path: join_path(&base.path, &below),
            query: ex.request.url.query.clone(),
            ..base.clone()
        };
        ex.record("set-backend-service", || {
            json!({ "message": format!("Backend service URL was changed to {base}{backend}"), "request": { "url": url.to_string() } })
        });
        ex.backend_base = Some(base);
        ex.backend_tls = tls;
        ex.set_request_url(url);
        Ok(())
    }

    /// The new base URL, and how its TLS certificate is checked: a backend entity's settings,
    /// or the strict default for a plain URL.
    fn resolve(&self, ex: &Exchange) -> Result<(Url, BackendTls), Failure> {
        let source = "set-backend-service";
        match &self.target {
            Target::Backend(_, entity) => Ok((entity.url.clone(), entity.tls)),
            Target::BaseUrl(text) => {
                let text = text
                    .string(ex)
                    .map_err(|e| Failure::expression(source, &e))?;
                let url = Url::parse(text.trim())
                    .map_err(|_| Failure::invalid_value(source, "base-url", &text))?;
                Ok((url, BackendTls::default()))
            }
            Target::BackendExpression(text, backends) => {
                let id = text
                    .string(ex)
                    .map_err(|e| Failure::expression(source, &e))?;
                let entity = backends.get(id.trim()).ok_or_else(|| {
                    let message = format!("Backend with id '{}' could not be found.", id.trim());
                    Failure::internal(source, "BackendNotFound", message)
                })?;
                Ok((entity.url.clone(), entity.tls))
            }
        }
    }
}

/// The request path below the current backend base (all of it without a base).
fn relative_path(ex: &Exchange) -> String {
    let path = &ex.request.url.path;
    let base = ex
        .backend_base
        .as_ref()
        .map_or("", |b| b.path.trim_end_matches('/'));
    path.strip_prefix(base)
        .filter(|rest| rest.is_empty() || rest.starts_with('/'))
        .unwrap_or(path)
        .to_owned()
}
