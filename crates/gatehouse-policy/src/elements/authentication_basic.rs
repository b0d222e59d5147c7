//! `<authentication-basic username="..." password="..."/>`: sends the backend an
//! `Authorization: Basic` header made of the credentials. The password usually comes from a
//! secret named value, which traces mask.

use base64::Engine;
use http::HeaderValue;
use http::header::AUTHORIZATION;
use serde_json::json;

use crate::compile::{Compiler, Text};
use crate::reader::Element;
use crate::runtime::{Exchange, Failure};

#[derive(Clone, Debug)]
pub(crate) struct AuthenticationBasic {
    username: Text,
    password: Text,
}

pub(crate) fn compile(element: &Element, cx: &mut Compiler<'_>) -> Option<AuthenticationBasic> {
    let username = cx.required_text(element, "username");
    let password = cx.required_text(element, "password");
    Some(AuthenticationBasic {
        username: username?,
        password: password?,
    })
}

impl AuthenticationBasic {
    pub(crate) fn texts<'a>(&'a self, out: &mut Vec<&'a Text>) {
        out.extend([&self.username, &self.password]);
    }

    pub(crate) fn run(&self, ex: &mut Exchange) -> Result<(), Failure> {
        let source = "authentication-basic";
        let username = self
            .username
            .string(ex)
            .map_err(|e| Failure::expression(source, &e))?;
        let password = self
            .password
            .string(ex)
            .map_err(|e| Failure::expression(source, &e))?;
        let encoded =
            base64::engine::general_purpose::STANDARD.encode(format!("{username}:{password}"));
        let mut value = HeaderValue::from_str(&format!("Basic {encoded}"))
            .map_err(|_| Failure::invalid_value(source, "the Authorization header", "Basic ..."))?;
        value.set_sensitive(true);
        ex.request.headers.insert(AUTHORIZATION, value);
        ex.record(
            source,
            || json!({ "message": "Basic authentication credentials were set on the request." }),
        );
        Ok(())
    }
}
