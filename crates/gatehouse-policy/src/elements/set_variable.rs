//! `<set-variable name="x" value="@(...)"/>`: stores a value in `context.Variables`.

use serde_json::json;

use crate::compile::{Compiler, Text};
use crate::reader::Element;
use crate::runtime::{Exchange, Failure};

#[derive(Clone, Debug)]
pub(crate) struct SetVariable {
    name: gatehouse_expr::context::Str,
    value: Text,
}

pub(crate) fn compile(element: &Element, cx: &mut Compiler<'_>) -> Option<SetVariable> {
    let name = element.attribute("name")?.value.text.trim().into();
    let value = cx.required_text(element, "value")?;
    Some(SetVariable { name, value })
}

impl SetVariable {
    pub(crate) fn texts<'a>(&'a self, out: &mut Vec<&'a Text>) {
        out.push(&self.value);
    }

    pub(crate) fn run(&self, ex: &mut Exchange) -> Result<(), Failure> {
        let value = self
            .value
            .value(ex)
            .map_err(|e| Failure::expression("set-variable", &e))?;
        ex.record("set-variable", || {
            json!({
                "message": "Context variable was successfully set.",
                "name": &*self.name,
                "value": gatehouse_expr::display(&value, ex),
            })
        });
        ex.set_variable(&self.name, value);
        Ok(())
    }
}
