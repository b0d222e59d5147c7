//! Rendering a template against a set of root variables.

use super::parse::{Condition, Expr, Filtered, Node, Segment, Template};
use super::value::LValue;

/// How many nodes one rendering may visit: loops over large bodies stay bounded.
const MAX_STEPS: usize = 1_000_000;
/// How large a rendered body, and any string a filter builds, may grow.
pub(super) const MAX_OUTPUT: usize = crate::runtime::MAX_BUFFERED_BODY;

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

/// Why rendering stopped: too many steps, or a body or value past [`MAX_OUTPUT`].
fn over_budget() -> String {
    "the Liquid template exceeded its rendering budget".to_owned()
}

fn render_nodes(nodes: &[Node], scope: &mut Scope<'_>, out: &mut String) -> Result<(), String> {
    for node in nodes {
        scope.steps += 1;
        if scope.steps > MAX_STEPS || out.len() > MAX_OUTPUT {
            return Err(over_budget());
        }
        match node {
            Node::Text(text) => out.push_str(text),
            Node::Output(filtered) => {
                let text = evaluate_filtered(filtered, scope)?.render();
                if out.len().saturating_add(text.len()) > MAX_OUTPUT {
                    return Err(over_budget());
                }
                out.push_str(&text);
            }
            Node::Assign(name, filtered) => {
                let value = evaluate_filtered(filtered, scope)?;
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

fn evaluate_filtered(filtered: &Filtered, scope: &Scope<'_>) -> Result<LValue, String> {
    let mut value = evaluate(&filtered.expr, scope);
    for filter in &filtered.filters {
        let args: Vec<LValue> = filter.args().iter().map(|a| evaluate(a, scope)).collect();
        value = filter.apply(value, &args).map_err(|_| over_budget())?;
    }
    Ok(value)
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

    fn rendered(template: &str, body: LValue) -> Result<String, String> {
        let template = Template::parse(template).unwrap();
        template.render(&|name| {
            if name == "body" {
                body.clone()
            } else {
                LValue::Nil
            }
        })
    }

    fn render(template: &str, body: LValue) -> String {
        rendered(template, body).unwrap()
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

    fn render_error(template: &str, body: LValue) -> String {
        rendered(template, body).unwrap_err()
    }

    /// A list of `n` numbers, as a JSON body's array reads.
    fn items(n: usize) -> LValue {
        LValue::Map(vec![(
            "items".into(),
            LValue::List((0..n).map(|i| LValue::Number(i as f64)).collect()),
        )])
    }

    /// Filters whose results the body can multiply stop at the body limit before building
    /// more: 64 doublings would be 2^64 bytes, and each `replace` or `join` below terabytes.
    #[test]
    fn growing_filters_stop_at_the_output_budget() {
        let budget = "the Liquid template exceeded its rendering budget";
        let templates = [
            "{% assign s = 'x' %}{% for i in body.items %}{% assign s = s | append: s %}{% endfor %}{{ s | size }}",
            "{% assign s = 'x' %}{% for i in body.items %}{% assign s = s | prepend: s %}{% endfor %}{{ s | size }}",
            "{% assign s = 'xx' %}{% for i in body.items %}{% assign s = s | replace: 'x', s %}{% endfor %}{{ s | size }}",
            "{% assign s = 'xy' %}{% for i in body.items %}{% assign s = s | replace_first: 'x', s %}{% endfor %}{{ s | size }}",
            "{% assign s = ',' %}{% for i in body.items %}{% assign s = s | split: '' | join: s %}{% endfor %}{{ s | size }}",
        ];
        for template in templates {
            assert_eq!(render_error(template, items(64)), budget, "{template}");
        }
    }

    #[test]
    fn growing_filters_work_within_the_budget() {
        let doubled = "{% assign s = 'x' %}{% for i in body.items %}{% assign s = s | append: s %}{% endfor %}{{ s | size }}";
        assert_eq!(render(doubled, items(20)), "1048576");
        assert_eq!(render("{{ 'a-b' | replace: '-', '+' }}", body()), "a+b");
        assert_eq!(render("{{ 'ab' | replace: '', '.' }}", body()), ".a.b.");
        assert_eq!(
            render("{{ 'b' | prepend: 'a' | append: 'c' }}", body()),
            "abc"
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
