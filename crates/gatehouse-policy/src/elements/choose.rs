//! `<choose><when condition="@(...)">..</when><otherwise>..</otherwise></choose>`: runs the
//! first branch whose condition is true, or `otherwise`.

use serde_json::json;

use crate::compile::{Compiler, Step, Text};
use crate::reader::{Code, Element};
use crate::runtime::{Exchange, Failure, Section};

#[derive(Clone, Debug)]
pub(crate) struct Choose {
    pub(crate) branches: Vec<(Text, Vec<Step>)>,
    pub(crate) otherwise: Option<Vec<Step>>,
}

pub(crate) fn compile(
    element: &Element,
    cx: &mut Compiler<'_>,
    section: Section,
    path: &str,
) -> Option<Choose> {
    let mut choose = Choose {
        branches: Vec::new(),
        otherwise: None,
    };
    let mut ok = true;
    let mut when_index = 0;
    for child in element.elements() {
        match child.name.as_str() {
            "when" => {
                when_index += 1;
                let prefix = format!("{path}/when[{when_index}]/");
                let condition = condition(child, cx);
                let steps = cx.block(child, section, &prefix);
                match condition {
                    Some(condition) => choose.branches.push((condition, steps)),
                    None => ok = false,
                }
            }
            "otherwise" => {
                choose.otherwise = Some(cx.block(child, section, &format!("{path}/otherwise/")))
            }
            _ => {}
        }
    }
    ok.then_some(choose)
}

fn condition(when: &Element, cx: &mut Compiler<'_>) -> Option<Text> {
    let condition = cx.required_text(when, "condition")?;
    if let Text::Literal(text) = &condition
        && !matches!(text.trim(), "true" | "false" | "True" | "False")
    {
        let message =
            "condition must be a policy expression such as @(context.Request.Certificate == null)";
        cx.error(when.position, Code::InvalidValue, message);
        return None;
    }
    Some(condition)
}

impl Choose {
    /// The steps of the branch to run, after evaluating conditions in order.
    pub(crate) fn pick(&self, ex: &Exchange) -> Result<Option<&[Step]>, Failure> {
        for (condition, steps) in &self.branches {
            let value = evaluate(condition, ex)?;
            ex.record("choose", || {
                json!({
                    "message": "Expression was successfully evaluated.",
                    "expression": condition.source(),
                    "value": value,
                })
            });
            if value {
                return Ok(Some(steps));
            }
        }
        Ok(self.otherwise.as_deref())
    }
}

fn evaluate(condition: &Text, ex: &Exchange) -> Result<bool, Failure> {
    match condition {
        Text::Literal(text) => Ok(text.trim().eq_ignore_ascii_case("true")),
        Text::Expression(e) => e
            .evaluate_bool(ex)
            .map_err(|e| Failure::expression("choose", &e)),
    }
}
