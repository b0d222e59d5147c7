//! Rendering a template against a set of root variables.

use super::parse::{Condition, Expr, Filtered, Node, Segment, Template};
use super::value::LValue;

/// How many nodes one rendering may visit: loops over large bodies stay bounded.
const MAX_STEPS: usize = 1_000_000;
/// How large a rendered body may grow.
const MAX_OUTPUT: usize = crate::runtime::MAX_BUFFERED_BODY;

/// Rendering state: the root variables, `assign`ed and loop variables, and the budget.
struct Scope<'r> {
    roots: &'r dyn Fn(&str) -> LValue,
    locals: Vec<(String, LValue)>,
    steps: usize,
}

impl Template {
    /// Renders the template; `roots` gives the value of each top-level name (`body`,
    /// `context`).
    ///
    /// # Errors
    /// When rendering exceeds its step or size budget.
    pub(crate) fn render(&self, roots: &dyn Fn(&str) -> LValue) -> Result<String, String> {
        let mut scope = Scope {
            roots,
            locals: Vec::new(),
            steps: 0,
        };
        let mut out = String::new();
        render_nodes(&self.nodes, &mut scope, &mut out)?;
        Ok(out)
    }
}

fn render_nodes(nodes: &[Node], scope: &mut Scope<'_>, out: &mut String) -> Result<(), String> {
    for node in nodes {
        scope.steps += 1;
        if scope.steps > MAX_STEPS || out.len() > MAX_OUTPUT {
            return Err("the Liquid template exceeded its rendering budget".to_owned());
        }
        match node {
            Node::Text(text) => out.push_str(text),
            Node::Output(filtered) => out.push_str(&evaluate_filtered(filtered, scope).render()),
            Node::Assign(name, filtered) => {
                let value = evaluate_filtered(filtered, scope);
                set_local(scope, name, value);
            }
            Node::If(branches, otherwise) => {
                let chosen = branches
                    .iter()
                    .find(|(c, _)| test(c, scope))
                    .map(|(_, n)| n);
                render_nodes(chosen.unwrap_or(otherwise), scope, out)?;
            }
            Node::For {
                variable,
                source,
                body,
                empty,
            } => {
                let items = evaluate(source, scope).items();
                if items.is_empty() {
                    render_nodes(empty, scope, out)?;
                }
                for item in items {
                    set_local(scope, variable, item);
                    render_nodes(body, scope, out)?;
                }
            }
        }
    }
    Ok(())
}

fn set_local(scope: &mut Scope<'_>, name: &str, value: LValue) {
    match scope.locals.iter_mut().find(|(n, _)| n == name) {
        Some((_, slot)) => *slot = value,
        None => scope.locals.push((name.to_owned(), value)),
    }
}

fn evaluate_filtered(filtered: &Filtered, scope: &Scope<'_>) -> LValue {
    let mut value = evaluate(&filtered.expr, scope);
    for filter in &filtered.filters {
        let args: Vec<LValue> = filter.args().iter().map(|a| evaluate(a, scope)).collect();
        value = filter.apply(value, &args);
    }
    value
}

fn evaluate(expr: &Expr, scope: &Scope<'_>) -> LValue {
    match expr {
        Expr::Literal(value) => value.clone(),
        Expr::Path(root, segments) => {
            let mut value = match scope.locals.iter().find(|(n, _)| n == root) {
                Some((_, v)) => v.clone(),
                None => (scope.roots)(root),
            };
            for segment in segments {
                value = match segment {
                    Segment::Name(name) => value.member(name),
                    Segment::Index(index) => value.index(&evaluate(index, scope)),
                };
            }
            value
        }
    }
}

fn test(condition: &Condition, scope: &Scope<'_>) -> bool {
    match condition {
        Condition::Test(expr) => evaluate(expr, scope).truthy(),
        Condition::Not(inner) => !test(inner, scope),
        Condition::And(a, b) => test(a, scope) && test(b, scope),
        Condition::Or(a, b) => test(a, scope) || test(b, scope),
        Condition::Compare(a, op, b) => compare(&evaluate(a, scope), op, &evaluate(b, scope)),
    }
}

fn compare(a: &LValue, op: &str, b: &LValue) -> bool {
    match op {
        "==" => a == b,
        "!=" | "<>" => a != b,
        "contains" => match (a, b) {
            (LValue::Str(text), needle) => text.contains(&needle.render()),
            (LValue::List(items), needle) => items.contains(needle),
            _ => false,
        },
        _ => match (a, b) {
            (LValue::Number(x), LValue::Number(y)) => ordered(x.partial_cmp(y), op),
            (LValue::Str(x), LValue::Str(y)) => ordered(Some(x.cmp(y)), op),
            _ => false,
        },
    }
}

fn ordered(ordering: Option<std::cmp::Ordering>, op: &str) -> bool {
    use std::cmp::Ordering::{Equal, Greater, Less};
    matches!(
        (ordering, op),
        (Some(Less), "<" | "<=") | (Some(Greater), ">" | ">=") | (Some(Equal), "<=" | ">=")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(template: &str, body: LValue) -> String {
        let template = Template::parse(template).unwrap();
        template
            .render(&|name| {
                if name == "body" {
                    body.clone()
                } else {
                    LValue::Nil
                }
            })
            .unwrap()
    }

    fn body() -> LValue {
        LValue::Map(vec![
            ("name".into(), LValue::Str("Ada".into())),
            (
                "tags".into(),
                LValue::List(vec![LValue::Str("a".into()), LValue::Str("b".into())]),
            ),
            ("age".into(), LValue::Number(36.0)),
        ])
    }

    #[test]
    fn outputs_paths_and_filters() {
        assert_eq!(render("Hi {{ body.name | upcase }}!", body()), "Hi ADA!");
        assert_eq!(
            render("{{body.tags[1]}} {{ body.tags.size }}", body()),
            "b 2"
        );
        assert_eq!(
            render("{{ body.missing | default: 'none' }}", body()),
            "none"
        );
        assert_eq!(render("{{ body.tags | join: ', ' }}", body()), "a, b");
    }

    #[test]
    fn tags_branch_loop_and_assign_with_whitespace_control() {
        let template =
            "{% if body.age >= 18 and body.name == 'Ada' %}adult{% else %}minor{% endif %}";
        assert_eq!(render(template, body()), "adult");
        assert_eq!(
            render(
                "{% for t in body.tags -%}\n [{{ t }}]\n{%- endfor %}",
                body()
            ),
            "[a][b]"
        );
        assert_eq!(
            render("{%- assign n = body.name | downcase -%} {{ n }}", body()),
            "ada"
        );
        assert_eq!(
            render(
                "{% unless body.tags contains 'z' %}no z{% endunless %}",
                body()
            ),
            "no z"
        );
    }

    #[test]
    fn unsupported_tags_and_filters_are_refused_by_name() {
        let error = Template::parse("{% case x %}{% endcase %}").unwrap_err();
        assert!(error.message.contains("{% case %}"), "{}", error.message);
        let error = Template::parse("{{ x | frobnicate }}").unwrap_err();
        assert!(error.message.contains("frobnicate"), "{}", error.message);
    }
}
