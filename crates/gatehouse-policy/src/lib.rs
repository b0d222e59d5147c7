//! APIM policy documents.
//!
//! - [`reader`] reads policy text as APIM stores it ("rawxml", which is often not well-formed
//!   XML) into a tree where every node knows its line and column, reporting every mistake.
//! - [`schema`] knows APIM's policy elements (attributes, children, the sections that allow
//!   them, which ones need services this gateway lacks) and checks a document against them.
//! - [`lint`] warns of what compiles but does not do what its author meant (a thumbprint
//!   literal that never matches, `set-status` that does not stop the pipeline).
//! - [`compile`] turns a checked document into typed steps, compiling every expression once
//!   (with `gatehouse-expr`) and resolving what the document refers to (named values,
//!   fragments, backends, certificates: a [`compile::Environment`]); [`pipeline`] joins the
//!   documents of all scopes at `<base/>` into the steps an operation runs.
//! - [`runtime`] runs a pipeline over one request: inbound, backend, outbound, and on-error
//!   after a failure, recording a trace when asked. State that outlives requests and
//!   configurations (rate-limit counters, caches, concurrency limits) is reached through the
//!   traits of [`runtime::Services`], never kept in compiled policies.
//!
//! `docs/policies.md` in the repository lists the policies that run, and what is refused and
//! why.
//!
//! The crate knows nothing of sockets or server libraries: the request and response are its
//! own types (on the `http` vocabulary crate), and the outside world (backends, other
//! services, timers) is the [`runtime::Backend`] the gateway provides. It does not parse C#
//! itself.

pub mod compile;
mod elements;
pub mod lint;
pub mod pipeline;
pub mod reader;
pub mod runtime;
pub mod schema;

pub use compile::{Environment, compile_document, compile_document_with};
pub use reader::{Diagnostic, Document, read};
pub use schema::validate;
