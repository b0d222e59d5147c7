//! Liquid templates for `<set-body template="liquid">`.
//!
//! APIM renders these with DotLiquid against the message body (`body`, parsed from JSON) and
//! a view of `context`. Gatehouse implements the part of Liquid that policies use: output tags
//! `{{ path | filter: arg }}` with dotted and indexed paths, whitespace control (`{{-`, `-}}`,
//! `{%-`, `-%}`), and the tags `if`/`elsif`/`else`, `unless`, `for` (with `else`), `assign`,
//! `comment` and `raw`. Any other tag or filter is a compile error that names it, never a
//! silently different rendering.
//!
//! Names of `context` members are DotLiquid's (`context.Request.Headers`, ...); filter names
//! match with or without underscores and in any letter case (`url_encode`, `UrlEncode`).

mod filters;
mod parse;
mod render;
mod value;

pub(crate) use parse::Template;
pub(crate) use value::LValue;

/// Why a template does not compile.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct TemplateError {
    /// Byte offset in the template text.
    pub(crate) offset: usize,
    /// What is wrong.
    pub(crate) message: String,
}

mod context;

pub(crate) use context::context;
