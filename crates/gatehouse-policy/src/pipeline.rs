//! The effective policy of an operation: the documents of every scope joined at `<base/>`.
//!
//! Joining happens when the configuration changes, not per request: the result is one flat
//! list of steps per section, each step remembering the scope it was written in.

use std::sync::Arc;

use crate::compile::{PolicyDocument, ScopeLevel, Step, StepMeta};
use crate::elements::{Action, Cors, CorsVerdict as Verdict, ForwardRequest};
use crate::reader::Position;
use crate::runtime::{ForwardOptions, Response, Section};

/// The steps a request runs through, section by section.
#[derive(Clone)]
pub struct Pipeline {
    sections: [Arc<[Step]>; 4],
    reads_body: bool,
    secrets: Arc<[Arc<str>]>,
}

impl std::fmt::Debug for Pipeline {
    /// Only the shape: steps hold substituted named values, secrets included, and the
    /// snapshot (and so every pipeline) is reachable from the gateway's `Debug`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let steps: Vec<usize> = self.sections.iter().map(|s| s.len()).collect();
        f.debug_struct("Pipeline")
            .field("steps_per_section", &steps)
            .field("reads_body", &self.reads_body)
            .finish_non_exhaustive()
    }
}

impl Pipeline {
    /// Joins the documents of each scope, broadest first. A missing global document is APIM's
    /// default (`<backend><forward-request/></backend>`); a missing document at a narrower
    /// scope, or a missing section, inherits the broader scope unchanged.
    pub fn join(
        global: Option<&PolicyDocument>,
        product: Option<&PolicyDocument>,
        api: Option<&PolicyDocument>,
        operation: Option<&PolicyDocument>,
    ) -> Self {
        let documents = [global, product, api, operation];
        let secrets = documents
            .iter()
            .flatten()
            .flat_map(|d| d.secrets.iter().cloned())
            .collect();
        let mut sections: [Vec<Step>; 4] =
            Section::ALL.map(|section| global_section(global, section));
        for document in [product, api, operation].into_iter().flatten() {
            for section in Section::ALL {
                if let Some(steps) = document.section(section) {
                    let parent = std::mem::take(&mut sections[section as usize]);
                    sections[section as usize] = expand(steps, &parent);
                }
            }
        }
        let reads_body = sections.iter().flatten().any(reads_body);
        Self {
            sections: sections.map(Arc::from),
            reads_body,
            secrets,
        }
    }

    /// The values of the secret named values the pipeline uses, masked in its traces.
    pub fn secrets(&self) -> &Arc<[Arc<str>]> {
        &self.secrets
    }

    /// The answer to a CORS preflight request (`OPTIONS` with `Origin` and
    /// `Access-Control-Request-Method`) from the pipeline's first inbound `cors` policy, if
    /// it has one and it answers. Browsers send preflights without credentials, so the
    /// gateway asks this before requiring a subscription key; nothing else runs for them.
    pub fn answer_preflight(
        &self,
        method: &http::Method,
        headers: &http::HeaderMap,
    ) -> Option<Response> {
        let is_preflight = method == http::Method::OPTIONS
            && headers.contains_key(http::header::ORIGIN)
            && headers.contains_key(http::header::ACCESS_CONTROL_REQUEST_METHOD);
        if !is_preflight {
            return None;
        }
        match self.preflight_cors()?.judge(method, headers) {
            Verdict::Answer(response, _) => Some(response),
            _ => None,
        }
    }

    /// The `cors` policy that answers preflight requests: the first one directly in inbound.
    /// A preflight carries no subscription key, so the gateway asks this policy alone
    /// whether to answer it before the key check (nothing else runs for it).
    pub(crate) fn preflight_cors(&self) -> Option<&Cors> {
        self.section(Section::Inbound)
            .iter()
            .find_map(|step| match &step.action {
                Action::Cors(cors) => Some(cors),
                _ => None,
            })
    }

    /// The steps of `section`, in execution order.
    pub fn section(&self, section: Section) -> &[Step] {
        &self.sections[section as usize]
    }

    /// Whether any expression may read a message body, so the gateway must buffer bodies
    /// before running the pipeline (expressions cannot wait for a stream).
    pub fn reads_body(&self) -> bool {
        self.reads_body
    }
}

fn global_section(global: Option<&PolicyDocument>, section: Section) -> Vec<Step> {
    match global.and_then(|document| document.section(section)) {
        Some(steps) => expand(steps, &[]),
        None if section == Section::Backend => vec![default_forward()],
        None => Vec::new(),
    }
}

/// `steps` with every `<base/>` replaced by the parent's steps.
fn expand(steps: &[Step], parent: &[Step]) -> Vec<Step> {
    let mut expanded = Vec::with_capacity(steps.len() + parent.len());
    for step in steps {
        match step.action {
            Action::Base => expanded.extend_from_slice(parent),
            _ => expanded.push(step.clone()),
        }
    }
    expanded
}

fn default_forward() -> Step {
    let meta = StepMeta {
        name: "forward-request".into(),
        id: None,
        scope: ScopeLevel::Global,
        path: "forward-request[1]".into(),
        position: Position::default(),
    };
    let action = Action::ForwardRequest(ForwardRequest {
        options: ForwardOptions::default(),
        fail_on_error_status: false,
        follow_redirects: false,
    });
    Step {
        meta: Arc::new(meta),
        action,
        body: false,
    }
}

/// Whether a step, or one nested in it, needs a body in memory: it reads or rewrites one, or
/// it may forward the request more than once (`retry` around `forward-request`).
fn reads_body(step: &Step) -> bool {
    step.body
        || crate::elements::nested_steps(&step.action)
            .iter()
            .any(|s| reads_body(s) || resends(step, s))
}

/// Whether `inner`, nested in `outer`, may send the request body more than once.
fn resends(outer: &Step, inner: &Step) -> bool {
    matches!(outer.action, Action::Retry(_)) && crate::elements::forwards(inner)
}
