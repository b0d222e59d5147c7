//! Calls, indexers, object creation and lambdas.

use std::sync::Arc;

use super::expr::Resolved;
use super::{Checker, error_node};
use crate::ast::{Arg, Expr, ExprKind, Ident, Initializer, LambdaBody, Param, TypeRef};
use crate::diag::Span;
use crate::ir::{self, Call, Node};
use crate::stdlib::{self, Class, Func, Recv, Sig};
use crate::types::{Ty, resolve_type};

/// Checked arguments: nodes, their types, and the result type of each lambda argument.
struct Args {
    nodes: Vec<Node>,
    types: Vec<Ty>,
    lambda_results: Vec<Option<Ty>>,
}

fn call_node(func: Func, target: Option<Node>, args: Vec<Node>) -> Node {
    Node::Call(Box::new(Call { func, target, args }))
}

impl Checker {
    pub(super) fn call(&mut self, callee: &Expr, args: &[Arg]) -> (Node, Ty) {
        if let ExprKind::Name(name) = &callee.kind
            && let Some(id) = self.lookup_function(&name.name)
        {
            return self.call_function(id, name, args);
        }
        let ExprKind::Member {
            target,
            name,
            type_args,
            conditional,
        } = &callee.kind
        else {
            return self.fail(
                callee.span,
                "only methods of objects and types can be called in Gatehouse",
            );
        };
        let generics = self.type_args(type_args);
        match self.resolve(target) {
            Resolved::Namespace(path) => self.fail(
                target.span,
                format!("the type or namespace '{path}' is not supported by Gatehouse"),
            ),
            Resolved::Class(class) if has_out(args) => {
                self.out_call(Recv::Static(class), None, name, args)
            }
            Resolved::Class(class) => {
                let args = if class == Class::Array {
                    self.array_args(args, name)
                } else {
                    self.args(args, None, name)
                };
                let sig = Sig {
                    recv: Recv::Static(class),
                    name: &name.name,
                    args: &args.types,
                    generics: &generics,
                    lambda_results: &args.lambda_results,
                };
                self.finish_call(&sig, None, args.nodes, name.span)
            }
            Resolved::Value(node, ty) => {
                let call = |checker: &mut Self, node: Node, ty: Ty| {
                    checker.method_call(node, ty, name, args, &generics)
                };
                self.access((node, ty), *conditional, call)
            }
        }
    }

    fn method_call(
        &mut self,
        node: Node,
        ty: Ty,
        name: &Ident,
        args: &[Arg],
        generics: &[Ty],
    ) -> (Node, Ty) {
        if ty == Ty::Error {
            self.args(args, Some(Ty::Error), name);
            return error_node();
        }
        if has_out(args) {
            return self.out_call(Recv::Value(&ty), Some(node), name, args);
        }
        let args = self.args(args, ty.elem(), name);
        let sig = Sig {
            recv: Recv::Value(&ty),
            name: &name.name,
            args: &args.types,
            generics,
            lambda_results: &args.lambda_results,
        };
        self.finish_call(&sig, Some(node), args.nodes, name.span)
    }

    fn finish_call(
        &mut self,
        sig: &Sig<'_>,
        target: Option<Node>,
        args: Vec<Node>,
        name_span: Span,
    ) -> (Node, Ty) {
        if sig.args.contains(&Ty::Error) {
            return error_node();
        }
        match stdlib::method(sig) {
            Ok((func, ty)) => (call_node(func, target, args), ty),
            Err(message) => self.fail(name_span, message),
        }
    }

    /// A call with an `out` argument: the variable is declared (or found) here and passed as
    /// its slot.
    fn out_call(
        &mut self,
        recv: Recv<'_>,
        target: Option<Node>,
        name: &Ident,
        args: &[Arg],
    ) -> (Node, Ty) {
        let Some((func, out_ty)) = stdlib::out::signature(recv, &name.name, args.len()) else {
            let message = format!(
                "'{}' with an 'out' argument is not supported by Gatehouse",
                name.name
            );
            return self.fail(name.span, message);
        };
        let mut nodes = Vec::new();
        for arg in args {
            let node = match &arg.value.kind {
                ExprKind::OutVar {
                    ty,
                    name: var,
                    declare,
                } => self.out_variable(ty.as_ref(), var, *declare, &out_ty),
                _ => self.expr(&arg.value).0,
            };
            nodes.push(node);
        }
        (call_node(Func::Out(func), target, nodes), Ty::Bool)
    }

    fn out_variable(
        &mut self,
        ty: Option<&TypeRef>,
        var: &Ident,
        declare: bool,
        out_ty: &Ty,
    ) -> Node {
        let slot = if declare {
            if let Some(written) = ty.map(resolve_type) {
                let written = written.unwrap_or(Ty::Error);
                self.expect_assignable(&written, out_ty, var.span);
            }
            self.declare(var, out_ty.clone())
        } else {
            match self.lookup(&var.name) {
                Some((slot, local_ty)) => {
                    self.expect_assignable(&local_ty, out_ty, var.span);
                    slot
                }
                None => {
                    let message = format!(
                        "the name '{}' does not exist in the current context",
                        var.name
                    );
                    self.problem(var.span, message);
                    0
                }
            }
        };
        Node::Const(crate::value::Value::Int(i32::from(slot)))
    }

    fn type_args(&mut self, type_args: &[TypeRef]) -> Vec<Ty> {
        let mut out = Vec::new();
        for ty in type_args {
            match resolve_type(ty) {
                Ok(ty) => out.push(ty),
                Err(message) => {
                    self.problem(ty.span, message);
                    out.push(Ty::Error);
                }
            }
        }
        out
    }

    /// Checks arguments; lambdas get `elem` (the receiver's element type) as parameter type.
    fn args(&mut self, args: &[Arg], elem: Option<Ty>, method: &Ident) -> Args {
        let mut out = Args {
            nodes: Vec::new(),
            types: Vec::new(),
            lambda_results: Vec::new(),
        };
        for arg in args {
            if let Some(name) = arg.name.as_ref().filter(|n| n.name != "preserveContent") {
                let message = format!(
                    "the named argument '{}' is not supported by Gatehouse; pass arguments by position",
                    name.name
                );
                self.problem(name.span, message);
            }
            let (node, ty, result) = match (&arg.value.kind, &elem) {
                (ExprKind::Lambda { params, body }, Some(elem)) => {
                    let param_types = lambda_param_types(&method.name, elem, params.len());
                    let (node, result) = self.lambda(params, body, &param_types);
                    (node, Ty::Lambda, Some(result))
                }
                _ => {
                    let (node, ty) = self.expr(&arg.value);
                    (node, ty, None)
                }
            };
            out.nodes.push(node);
            out.types.push(ty);
            out.lambda_results.push(result);
        }
        out
    }

    /// Arguments of an `Array` static: lambdas take the first argument's element type.
    fn array_args(&mut self, args: &[Arg], method: &Ident) -> Args {
        let Some((first, rest)) = args.split_first() else {
            return self.args(args, None, method);
        };
        let mut out = self.args(std::slice::from_ref(first), None, method);
        let elem = out.types.first().and_then(Ty::elem);
        let more = self.args(rest, elem, method);
        out.nodes.extend(more.nodes);
        out.types.extend(more.types);
        out.lambda_results.extend(more.lambda_results);
        out
    }

    /// Checks a lambda with the given parameter types; returns it and its result type.
    fn lambda(&mut self, params: &[Param], body: &LambdaBody, param_types: &[Ty]) -> (Node, Ty) {
        self.push_scope();
        let mut slots = Vec::new();
        for (i, param) in params.iter().enumerate() {
            let ty = match &param.ty {
                Some(written) => resolve_type(written).unwrap_or(Ty::Error),
                None => param_types.get(i).cloned().unwrap_or(Ty::Error),
            };
            slots.push(self.declare(&param.name, ty));
        }

        let (body, result) = match body {
            LambdaBody::Expr(expr) => {
                let (node, ty) = self.expr(expr);
                (ir::LambdaBody::Expr(node), ty)
            }
            LambdaBody::Block(stmt) => {
                self.returns.push(super::ReturnFrame::Lambda(Vec::new()));
                let body = self.stmt(stmt);
                let returns = match self.returns.pop() {
                    Some(super::ReturnFrame::Lambda(types)) => types,
                    _ => Vec::new(),
                };
                (
                    ir::LambdaBody::Block(body),
                    returns.into_iter().next().unwrap_or(Ty::Void),
                )
            }
        };
        self.pop_scope();
        (
            Node::Lambda(Arc::new(ir::Lambda {
                params: slots,
                body,
            })),
            result,
        )
    }

    pub(super) fn index(
        &mut self,
        target: &Expr,
        args: &[Expr],
        conditional: bool,
        span: Span,
    ) -> (Node, Ty) {
        let receiver = self.expr(target);
        let [key] = args else {
            for arg in args {
                self.expr(arg);
            }
            return self.fail(
                span,
                "multi-dimensional indexers are not supported by Gatehouse",
            );
        };
        let (key_node, key_ty) = self.expr(key);
        let index = |checker: &mut Self, node: Node, ty: Ty| {
            if ty == Ty::Error || key_ty == Ty::Error {
                return error_node();
            }
            match stdlib::indexer(&ty, &key_ty) {
                Some((func, result)) => (call_node(func, Some(node), vec![key_node]), result),
                None => {
                    let message = format!(
                        "cannot apply indexing with [{}] to '{}'",
                        key_ty.display(),
                        ty.display()
                    );
                    checker.fail(span, message)
                }
            }
        };
        self.access(receiver, conditional, index)
    }

    pub(super) fn new_object(
        &mut self,
        ty: &TypeRef,
        args: &[Arg],
        init: Option<&[Initializer]>,
        span: Span,
    ) -> (Node, Ty) {
        let created = match resolve_type(ty) {
            Ok(created) => created,
            Err(message) => return self.fail(ty.span, message),
        };
        let checked: Vec<(Node, Ty)> = args.iter().map(|a| self.expr(&a.value)).collect();
        let types: Vec<Ty> = checked.iter().map(|(_, t)| t.clone()).collect();
        if types.contains(&Ty::Error) {
            return error_node();
        }
        let func = match stdlib::constructor(&created, &types) {
            Some(Ok(func)) => func,
            Some(Err(message)) => return self.fail(span, message),
            None => {
                return self.fail(
                    ty.span,
                    format!(
                        "creating '{}' is not supported by Gatehouse",
                        created.display()
                    ),
                );
            }
        };
        let nodes = checked.into_iter().map(|(n, _)| n).collect();
        let node = call_node(func, None, nodes);
        match init {
            Some(items) => self.initialize(node, created, items),
            None => (node, created),
        }
    }

    /// `new T { item, [key] = value }`: runs `Add` and indexer setters on the new object.
    fn initialize(&mut self, object: Node, ty: Ty, items: &[Initializer]) -> (Node, Ty) {
        let slot = self.temp();
        let mut steps = vec![ir::Stmt::Let(slot, object)];
        for item in items {
            if let Some(step) = self.initializer_step(slot, &ty, item) {
                steps.push(ir::Stmt::Expr(step));
            }
        }
        let lambda = ir::Lambda {
            params: Vec::new(),
            body: ir::LambdaBody::Block(ir::Stmt::Block(steps)),
        };
        let block = Node::Lambda(Arc::new(lambda));
        let node = call_node(
            Func::Misc(stdlib::misc::MiscFn::RunThen(slot)),
            None,
            vec![block],
        );
        (node, ty)
    }

    fn initializer_step(&mut self, slot: ir::Slot, ty: &Ty, item: &Initializer) -> Option<Node> {
        match item {
            Initializer::Item(values) => {
                let checked: Vec<(Node, Ty)> = values.iter().map(|v| self.expr(v)).collect();
                let types: Vec<Ty> = checked.iter().map(|(_, t)| t.clone()).collect();
                let sig = Sig {
                    recv: Recv::Value(ty),
                    name: "Add",
                    args: &types,
                    generics: &[],
                    lambda_results: &[],
                };
                let span = values.first().map_or_else(Span::default, |v| v.span);
                match stdlib::method(&sig) {
                    Ok((func, _)) => Some(call_node(
                        func,
                        Some(Node::Local(slot)),
                        checked.into_iter().map(|c| c.0).collect(),
                    )),
                    Err(message) => {
                        self.problem(span, message);
                        None
                    }
                }
            }
            Initializer::Index(keys, value) => {
                let (key, _) = self.expr(keys.first()?);
                let (value, _) = self.expr(value);
                let (setter, _) = stdlib::index_setter(ty)?;
                Some(call_node(setter, Some(Node::Local(slot)), vec![key, value]))
            }
            Initializer::Member(name, value) => self.member_initializer(slot, ty, name, value),
        }
    }

    /// `Name = value` in `new T { … }`: the property's setter on the new object.
    fn member_initializer(
        &mut self,
        slot: ir::Slot,
        ty: &Ty,
        name: &Ident,
        value: &Expr,
    ) -> Option<Node> {
        let (node, value_ty) = self.expr(value);
        let Some((setter, property_ty)) = stdlib::property_setter(ty, &name.name) else {
            let message = format!(
                "'{}' has no property '{}' that Gatehouse can set",
                ty.display(),
                name.name
            );
            self.problem(name.span, message);
            return None;
        };
        self.expect_assignable(&property_ty, &value_ty, value.span);
        let node = self.coerce(node, &value_ty, &property_ty);
        Some(call_node(setter, Some(Node::Local(slot)), vec![node]))
    }

    pub(super) fn new_array(
        &mut self,
        elem: Option<&TypeRef>,
        size: Option<&Expr>,
        items: Option<&[Expr]>,
        span: Span,
    ) -> (Node, Ty) {
        let written = match elem.map(resolve_type) {
            Some(Ok(ty)) => Some(ty),
            Some(Err(message)) => return self.fail(span, message),
            None => None,
        };
        let is_bytes = elem.is_some_and(|e| {
            matches!(
                e.kind,
                crate::ast::TypeKind::Predefined(crate::lexer::Kw::Byte)
            )
        });
        let checked: Vec<(Node, Ty)> = items
            .unwrap_or_default()
            .iter()
            .map(|i| self.expr(i))
            .collect();
        let elem_ty = written
            .or_else(|| checked.first().map(|(_, t)| t.clone()))
            .unwrap_or(Ty::Object);
        let array_ty = if is_bytes {
            Ty::Bytes
        } else {
            Ty::array(elem_ty.clone())
        };

        let mut args: Vec<Node> = Vec::new();
        if let Some(size) = size {
            let (node, ty) = self.expr(size);
            self.expect_assignable(&Ty::Int, &ty, size.span);
            args.push(node);
        }
        let with_size = size.is_some() && items.is_none();
        for (node, ty) in checked {
            args.push(self.coerce(node, &ty, &elem_ty));
        }
        let func = stdlib::coll::array_constructor(elem_ty, is_bytes, with_size);
        (call_node(func, None, args), array_ty)
    }

    pub(super) fn new_anonymous(&mut self, members: &[(Ident, Expr)]) -> (Node, Ty) {
        let mut nodes = Vec::new();
        let mut fields = Vec::new();
        for (name, value) in members {
            let (node, ty) = self.expr(value);
            nodes.push(node);
            fields.push((name.name.as_str().into(), ty));
        }
        let names = fields
            .iter()
            .map(|(n, _): &(crate::context::Str, Ty)| n.clone())
            .collect();
        let func = Func::Misc(stdlib::misc::MiscFn::Anonymous(names));
        (call_node(func, None, nodes), Ty::Anonymous(fields.into()))
    }
}

fn has_out(args: &[Arg]) -> bool {
    args.iter()
        .any(|a| matches!(a.value.kind, ExprKind::OutVar { .. }))
}

/// Parameter types for a lambda argument of a LINQ method.
fn lambda_param_types(method: &str, elem: &Ty, count: usize) -> Vec<Ty> {
    match (method, count) {
        ("Aggregate", 2) => vec![elem.clone(), elem.clone()],
        (_, 2) => vec![elem.clone(), Ty::Int],
        _ => vec![elem.clone(); count],
    }
}
