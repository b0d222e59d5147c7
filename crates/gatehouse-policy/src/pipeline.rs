//! The effective policy of an operation: the documents of every scope joined at `<base/>`.
//!
//! Joining happens when the configuration changes, not per request: the result is one flat
//! list of steps per section, each step remembering the scope it was written in.

use std::sync::Arc;

use crate::compile::{PolicyDocument, ScopeLevel, Step, StepMeta};
use crate::elements::{Action, ForwardRequest};
use crate::reader::Position;
use crate::runtime::{ForwardOptions, Section};

/// The steps a request runs through, section by section.
#[derive(Clone, Debug)]
pub struct Pipeline {
    sections: [Arc<[Step]>; 4],
    reads_body: bool,
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
        }
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
    });
    Step {
        meta: Arc::new(meta),
        action,
    }
}

/// Whether a step's expressions mention a body. Conservative by design: a false positive only
/// buffers a body that did not need it.
// TODO(gatehouse): ask the expression compiler which context members an expression reads,
// once it reports them, instead of looking at the source text.
fn reads_body(step: &Step) -> bool {
    crate::elements::expression_sources(&step.action).any(|source| source.contains("Body"))
}
