//! Expressions: literals, names and members, interpolation, conditionals, assignment.

use std::sync::Arc;

use super::{Checker, error_node};
use crate::ast::{self, Expr, ExprKind, Ident, InterpSeg, Lit};
use crate::diag::Span;
use crate::host::HostObject;
use crate::ir::{Node, Piece, Place};
use crate::stdlib::{self, Class, Member, Recv};
use crate::types::{Ty, resolve_type};
use crate::value::Value;

/// What a name or dotted path denotes.
pub(super) enum Resolved {
    Value(Node, Ty),
    Class(Class),
    Namespace(String),
}

/// Leading namespace names that may start a qualified type name.
const NAMESPACE_ROOTS: [&str; 3] = ["System", "Newtonsoft", "Microsoft"];

impl Checker {
    /// Checks an expression and infers its type.
    pub(super) fn expr(&mut self, e: &Expr) -> (Node, Ty) {
        match &e.kind {
            ExprKind::Lit(lit) => literal(lit),
            ExprKind::Name(_) | ExprKind::Predefined(_) | ExprKind::Member { .. } => {
                let resolved = self.resolve(e);
                self.value_of(resolved, e.span)
            }
            ExprKind::Interp(segments) => self.interpolation(segments),
            ExprKind::Call { callee, args } => self.call(callee, args),
            ExprKind::Index {
                target,
                args,
                conditional,
            } => self.index(target, args, *conditional, e.span),
            ExprKind::Unary { op, operand } => self.unary(*op, operand, e.span),
            ExprKind::Binary { op, lhs, rhs } => self.binary(*op, lhs, rhs, e.span),
            ExprKind::Conditional {
                cond,
                then,
                otherwise,
            } => self.conditional(cond, then, otherwise),
            ExprKind::Cast { ty, operand } => self.cast(ty, operand),
            ExprKind::Is { operand, pattern } => self.is(operand, pattern),
            ExprKind::As { operand, ty } => self.as_cast(operand, ty),
            _ => self.expr_other(e),
        }
    }

    fn expr_other(&mut self, e: &Expr) -> (Node, Ty) {
        match &e.kind {
            ExprKind::Assign { op, target, value } => self.assign(*op, target, value, e.span),
            ExprKind::IncDec {
                target,
                increment,
                prefix,
            } => self.inc_dec(target, *increment, *prefix, e.span),
            ExprKind::Lambda { .. } => self.fail(
                e.span,
                "lambda expressions are supported only as arguments of LINQ methods",
            ),
            ExprKind::New { ty, args, init } => self.new_object(ty, args, init.as_deref(), e.span),
            ExprKind::NewArray { elem, size, items } => {
                self.new_array(elem.as_ref(), size.as_deref(), items.as_deref(), e.span)
            }
            ExprKind::NewAnonymous { members } => self.new_anonymous(members),
            ExprKind::Default(ty) => self.default_value(ty.as_ref()),
            ExprKind::Throw(value) => {
                let (node, _) = self.expr(value);
                (Node::Throw(Box::new(node)), Ty::Error)
            }
            ExprKind::OutVar { .. } => {
                self.fail(e.span, "an 'out' argument is only valid in a method call")
            }
            ExprKind::Typeof => self.fail(e.span, "'typeof' is not supported by Gatehouse"),
            ExprKind::Generic { name, .. } => self.fail(
                name.span,
                format!(
                    "the generic method '{}' is not supported by Gatehouse",
                    name.name
                ),
            ),
            _ => self.fail(e.span, "this expression is not supported by Gatehouse"),
        }
    }

    fn default_value(&mut self, ty: Option<&ast::TypeRef>) -> (Node, Ty) {
        let Some(ty) = ty else {
            return (Node::Const(Value::Null), Ty::Null);
        };
        match resolve_type(ty) {
            Ok(ty) => (Node::Const(stdlib::host::default_of(Some(&ty))), ty),
            Err(message) => self.fail(ty.span, message),
        }
    }

    /// Resolves a name or dotted path, which may denote a value, a type or a namespace.
    pub(super) fn resolve(&mut self, e: &Expr) -> Resolved {
        match &e.kind {
            ExprKind::Name(ident) => self.resolve_name(ident),
            ExprKind::Predefined(kw) => match Class::from_name(kw.as_str()) {
                Some(class) => Resolved::Class(class),
                None => self.resolve_error(
                    e.span,
                    format!("'{}' has no static members Gatehouse supports", kw.as_str()),
                ),
            },
            ExprKind::Member {
                target,
                name,
                conditional,
                ..
            } => {
                let target_resolved = self.resolve(target);
                self.resolve_member(target_resolved, name, *conditional)
            }
            _ => {
                let (node, ty) = self.expr(e);
                Resolved::Value(node, ty)
            }
        }
    }

    fn resolve_error(&mut self, span: Span, message: String) -> Resolved {
        self.problem(span, message);
        let (node, ty) = error_node();
        Resolved::Value(node, ty)
    }

    fn resolve_name(&mut self, ident: &Ident) -> Resolved {
        if let Some((slot, ty)) = self.lookup(&ident.name) {
            return Resolved::Value(Node::Local(slot), ty);
        }
        if self.lookup_function(&ident.name).is_some() {
            let message = format!(
                "the local function '{}' can only be called, not used as a value",
                ident.name
            );
            return self.resolve_error(ident.span, message);
        }
        if ident.name == "context" {
            return Resolved::Value(
                Node::Const(Value::Host(HostObject::Context)),
                Ty::Host(crate::types::HostTy::Context),
            );
        }
        if let Some(class) = Class::from_name(&ident.name) {
            return Resolved::Class(class);
        }
        if NAMESPACE_ROOTS.contains(&ident.name.as_str()) {
            return Resolved::Namespace(ident.name.clone());
        }
        let message = unknown_name_message(&ident.name);
        self.resolve_error(ident.span, message)
    }

    fn resolve_member(&mut self, target: Resolved, name: &Ident, conditional: bool) -> Resolved {
        match target {
            Resolved::Namespace(path) => {
                let full = format!("{path}.{}", name.name);
                match Class::from_name(&full) {
                    Some(class) => Resolved::Class(class),
                    None => Resolved::Namespace(full),
                }
            }
            Resolved::Class(class) => self.static_member(class, name),
            Resolved::Value(node, ty) => {
                let (node, ty) = self.member_access((node, ty), name, conditional);
                Resolved::Value(node, ty)
            }
        }
    }

    fn static_member(&mut self, class: Class, name: &Ident) -> Resolved {
        match stdlib::property(Recv::Static(class), &name.name) {
            Some(Member::Const(value, ty)) => Resolved::Value(Node::Const(value), ty),
            Some(Member::Call(func, ty)) => {
                let call = crate::ir::Call {
                    func,
                    target: None,
                    args: Vec::new(),
                };
                Resolved::Value(Node::Call(Box::new(call)), ty)
            }
            Some(Member::Prop(..)) | None => {
                let message = format!("'{class:?}.{}' is not supported by Gatehouse", name.name);
                self.resolve_error(name.span, message)
            }
        }
    }

    /// A resolved name used where a value is needed.
    pub(super) fn value_of(&mut self, resolved: Resolved, span: Span) -> (Node, Ty) {
        match resolved {
            Resolved::Value(node, ty) => (node, ty),
            Resolved::Class(class) => self.fail(
                span,
                format!("'{class:?}' is a type, which is not valid here"),
            ),
            Resolved::Namespace(path) => self.fail(
                span,
                format!("the type or namespace '{path}' is not supported by Gatehouse"),
            ),
        }
    }

    /// `target.name` and `target?.name` on a value.
    pub(super) fn member_access(
        &mut self,
        target: (Node, Ty),
        name: &Ident,
        conditional: bool,
    ) -> (Node, Ty) {
        self.access(target, conditional, |checker, node, ty| {
            checker.property(node, ty, name)
        })
    }

    /// Applies `f` to a receiver, inside a `?.` chain when there is one.
    pub(super) fn access(
        &mut self,
        (node, ty): (Node, Ty),
        conditional: bool,
        f: impl FnOnce(&mut Self, Node, Ty) -> (Node, Ty),
    ) -> (Node, Ty) {
        if conditional {
            let slot = self.temp();
            let (access, result) = f(self, Node::Local(slot), ty.unwrap_nullable().clone());
            let node = Node::CondAccess {
                target: Box::new(node),
                slot,
                access: Box::new(access),
            };
            return (node, result.nullable());
        }
        match node {
            Node::CondAccess {
                target,
                slot,
                access,
            } => {
                let (access, result) = f(self, *access, ty.unwrap_nullable().clone());
                (
                    Node::CondAccess {
                        target,
                        slot,
                        access: Box::new(access),
                    },
                    result.nullable(),
                )
            }
            node => f(self, node, ty),
        }
    }

    fn property(&mut self, target: Node, ty: Ty, name: &Ident) -> (Node, Ty) {
        if ty == Ty::Error {
            return error_node();
        }
        match stdlib::property(Recv::Value(&ty), &name.name) {
            Some(Member::Prop(prop, result)) => (fold(target, prop), result),
            Some(Member::Const(value, result)) => (Node::Const(value), result),
            Some(Member::Call(..)) | None => {
                let message = missing_member(&ty, &name.name);
                self.fail(name.span, message)
            }
        }
    }

    fn interpolation(&mut self, segments: &[InterpSeg]) -> (Node, Ty) {
        let mut pieces = Vec::new();
        for segment in segments {
            let piece = match segment {
                InterpSeg::Text(text) => Piece::Text(text.as_str().into()),
                InterpSeg::Hole {
                    expr,
                    format,
                    alignment,
                } => {
                    let (node, _) = self.expr(expr);
                    let format = format.as_deref().map(Arc::from);
                    Piece::Value {
                        node,
                        format,
                        alignment: *alignment,
                    }
                }
            };
            pieces.push(piece);
        }
        (Node::Interp(pieces), Ty::String)
    }

    fn conditional(&mut self, cond: &Expr, then: &Expr, otherwise: &Expr) -> (Node, Ty) {
        let cond = self.condition(cond);
        let (then_node, then_ty) = self.expr(then);
        let (else_node, else_ty) = self.expr(otherwise);
        let Some(ty) = common_type(&then_ty, &else_ty) else {
            let message = format!(
                "type of conditional expression cannot be determined: no conversion between '{}' and '{}'",
                then_ty.display(),
                else_ty.display()
            );
            return self.fail(then.span.to(otherwise.span), message);
        };
        let then_node = self.coerce(then_node, &then_ty, &ty);
        let else_node = self.coerce(else_node, &else_ty, &ty);
        (
            Node::Cond(Box::new(cond), Box::new(then_node), Box::new(else_node)),
            ty,
        )
    }

    /// Checks a condition: it must be a `bool`.
    pub(super) fn condition(&mut self, e: &Expr) -> Node {
        let (node, ty) = self.expr(e);
        if !matches!(ty, Ty::Bool | Ty::Error) {
            let message = format!(
                "cannot implicitly convert type '{}' to 'bool'",
                ty.display()
            );
            self.problem(e.span, message);
        }
        node
    }

    fn assign(
        &mut self,
        op: Option<ast::BinOp>,
        target: &Expr,
        value: &Expr,
        span: Span,
    ) -> (Node, Ty) {
        let Some((place, place_ty)) = self.place(target) else {
            return error_node();
        };
        let (value_node, value_ty) = self.expr(value);
        match op {
            None => {
                self.expect_assignable(&place_ty, &value_ty, value.span);
                let value_node = self.coerce(value_node, &value_ty, &place_ty);
                (Node::Assign(place, Box::new(value_node)), place_ty)
            }
            Some(op) => {
                self.check_compound(op, &place_ty, &value_ty, span);
                let node = Node::Update {
                    place,
                    op,
                    value: Box::new(value_node),
                    prefix: true,
                };
                (node, place_ty)
            }
        }
    }

    fn inc_dec(&mut self, target: &Expr, increment: bool, prefix: bool, span: Span) -> (Node, Ty) {
        let Some((place, ty)) = self.place(target) else {
            return error_node();
        };
        if !ty.unwrap_nullable().is_numeric() && ty != Ty::Error {
            return self.fail(
                span,
                format!(
                    "'++' and '--' need a numeric variable, not '{}'",
                    ty.display()
                ),
            );
        }
        let op = if increment {
            ast::BinOp::Add
        } else {
            ast::BinOp::Sub
        };
        let one = Box::new(Node::Const(Value::Int(1)));
        (
            Node::Update {
                place,
                op,
                value: one,
                prefix,
            },
            ty,
        )
    }

    /// Resolves the left side of an assignment.
    fn place(&mut self, target: &Expr) -> Option<(Place, Ty)> {
        match &target.kind {
            ExprKind::Name(ident) => match self.lookup(&ident.name) {
                Some((slot, ty)) => Some((Place::Local(slot), ty)),
                None => {
                    let message = unknown_name_message(&ident.name);
                    self.problem(ident.span, message);
                    None
                }
            },
            ExprKind::Index {
                target: inner,
                args,
                ..
            } if args.len() == 1 => self.index_place(inner, &args[0]),
            ExprKind::Member {
                target: inner,
                name,
                conditional: false,
                ..
            } => self.member_place(inner, name),
            _ => {
                self.problem(
                    target.span,
                    "only local variables, properties and indexers can be assigned",
                );
                None
            }
        }
    }

    /// `target.Name = value`: a property with a setter.
    fn member_place(&mut self, target: &Expr, name: &Ident) -> Option<(Place, Ty)> {
        let resolved = self.resolve(target);
        let (target_node, target_ty) = self.value_of(resolved, target.span);
        if target_ty == Ty::Error {
            return None;
        }
        let Some((setter, ty)) = stdlib::property_setter(&target_ty, &name.name) else {
            let message = match stdlib::property(Recv::Value(&target_ty), &name.name) {
                Some(_) => format!(
                    "property '{}.{}' cannot be assigned to: it is read only",
                    target_ty.display(),
                    name.name
                ),
                None => missing_member(&target_ty, &name.name),
            };
            self.problem(name.span, message);
            return None;
        };
        let getter = match stdlib::property(Recv::Value(&target_ty), &name.name) {
            Some(Member::Prop(prop, _)) => Some(prop),
            _ => None,
        };
        let place = Place::Member {
            target: Box::new(target_node),
            getter,
            setter,
        };
        Some((place, ty))
    }

    fn index_place(&mut self, target: &Expr, key: &Expr) -> Option<(Place, Ty)> {
        let (target_node, target_ty) = self.expr(target);
        let (key_node, key_ty) = self.expr(key);
        if target_ty == Ty::Error {
            return None;
        }
        let getter = stdlib::indexer(&target_ty, &key_ty);
        let Some((setter, value_ty)) = stdlib::index_setter(&target_ty) else {
            let message = format!(
                "the indexer of '{}' cannot be assigned in Gatehouse",
                target_ty.display()
            );
            self.problem(target.span, message);
            return None;
        };
        let getter = getter.map_or_else(|| setter.clone(), |g| g.0);
        let place = Place::Index {
            target: Box::new(target_node),
            key: Box::new(key_node),
            getter,
            setter,
        };
        Some((place, value_ty))
    }

    /// Reports `cannot implicitly convert` when `from` does not fit `to`.
    pub(super) fn expect_assignable(&mut self, to: &Ty, from: &Ty, span: Span) {
        if !to.assignable_from(from) {
            let message = format!(
                "cannot implicitly convert type '{}' to '{}'",
                from.display(),
                to.display()
            );
            self.problem(span, message);
        }
    }
}

fn literal(lit: &Lit) -> (Node, Ty) {
    let (value, ty) = match lit {
        Lit::Null => (Value::Null, Ty::Null),
        Lit::Bool(b) => (Value::Bool(*b), Ty::Bool),
        Lit::Int(i) => (Value::Int(*i), Ty::Int),
        Lit::Long(l) => (Value::Long(*l), Ty::Long),
        Lit::Double(d) => (Value::Double(*d), Ty::Double),
        Lit::Char(c) => (Value::Char(*c), Ty::Char),
        Lit::Str(s) => (Value::str(s), Ty::String),
    };
    (Node::Const(value), ty)
}

/// Folds constant handle projections (`context.Request.Headers`) into constants.
fn fold(target: Node, prop: stdlib::Prop) -> Node {
    if let Some(fused) = stdlib::host::fuse(&target, &prop) {
        let request = Node::Const(Value::Host(HostObject::Request));
        return Node::Prop(Box::new(request), stdlib::Prop::Host(fused));
    }
    if let (Node::Const(value), stdlib::Prop::Host(p)) = (&target, &prop)
        && let Some(folded) = stdlib::host::fold(value, *p)
    {
        return Node::Const(folded);
    }
    Node::Prop(Box::new(target), prop)
}

/// The type both branches of `?:` convert to.
pub(super) fn common_type(a: &Ty, b: &Ty) -> Option<Ty> {
    if a == b {
        return Some(a.clone());
    }
    match (a, b) {
        (Ty::Error, other) | (other, Ty::Error) => Some(other.clone()),
        (Ty::Null, other) | (other, Ty::Null) if other.admits_null() || other.is_value_type() => {
            Some(other.clone().nullable())
        }
        _ if a.assignable_from(b) => Some(a.clone()),
        _ if b.assignable_from(a) => Some(b.clone()),
        _ => None,
    }
}

/// .NET types policies reach for that Gatehouse does not provide; naming them beats "does not
/// exist".
const KNOWN_UNSUPPORTED_TYPES: [&str; 7] = [
    "Enumerable",
    "RSA",
    "Environment",
    "File",
    "Task",
    "Type",
    "Activator",
];

fn unknown_name_message(name: &str) -> String {
    if KNOWN_UNSUPPORTED_TYPES.contains(&name) || crate::types::not_allowed_by_apim(name) {
        return crate::types::unsupported_type(name);
    }
    format!("the name '{name}' does not exist in the current context")
}

fn missing_member(ty: &Ty, name: &str) -> String {
    match ty {
        Ty::Object => format!(
            "'object' does not contain a definition for '{name}'; cast the value to its type first"
        ),
        ty => format!(
            "'{}' does not contain a definition for '{name}' that Gatehouse supports",
            ty.display()
        ),
    }
}
