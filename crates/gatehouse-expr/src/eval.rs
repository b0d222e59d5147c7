//! The evaluator: runs the compiled form against a [`Host`], within [`Limits`].
//!
//! A tree walk over `ir` nodes. Every node evaluated and every loop or LINQ iteration counts a
//! step; lambda invocations count depth; strings and collections built by the expression are
//! measured as they are made. Each limit fails with its own [`EvalError`] variant, which a
//! `catch` in the expression cannot swallow.

mod convert;
mod ops;
mod stmt;

use std::sync::Arc;

use crate::error::EvalError;
use crate::host::Host;
use crate::ir::{LambdaBody, Node, Piece, Place, Program, Slot};
use crate::stdlib;
use crate::value::{Lambda, Value, to_display_capped};

pub(crate) use self::convert::{clr_name, from_json_to, to_json};
pub(crate) use self::ops::{binary as binary_value, compare, culture_order, values_equal};

/// Hard limits on one evaluation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Deepest nesting of lambda invocations.
    pub max_depth: usize,
    /// Most nodes evaluated plus loop iterations.
    pub max_steps: u64,
    /// Longest string, in bytes of UTF-8, the expression may build.
    pub max_string_length: usize,
    /// Most items in a collection the expression builds.
    pub max_collection_length: usize,
}

impl Default for Limits {
    /// Generous for policies (the longest corpus expression runs a few thousand steps), small
    /// enough that a runaway loop ends in milliseconds.
    fn default() -> Self {
        Self {
            max_depth: 64,
            max_steps: 1_000_000,
            max_string_length: 4 * 1024 * 1024,
            max_collection_length: 100_000,
        }
    }
}

/// One evaluation's state.
pub(crate) struct Machine<'a> {
    pub(crate) host: &'a dyn Host,
    functions: &'a [crate::ir::Function],
    limits: Limits,
    frame: Vec<Value>,
    steps: u64,
    depth: usize,
    /// Exceptions being handled, innermost last, for `throw;`.
    caught: Vec<EvalError>,
}

/// Runs a compiled program.
pub(crate) fn run(
    (program, functions): (&Program, &[crate::ir::Function]),
    slots: usize,
    host: &dyn Host,
    limits: Limits,
) -> Result<Value, EvalError> {
    let mut frame = Vec::new();
    if slots > 0 {
        frame.resize_with(slots, Value::default);
    }
    let mut machine = Machine {
        host,
        functions,
        limits,
        frame,
        steps: 0,
        depth: 0,
        caught: Vec::new(),
    };
    match program {
        Program::Expr(node) => machine.eval(node),
        Program::Block(stmts) => machine.run_block(stmts),
    }
}

impl<'a> Machine<'a> {
    /// Counts one step against the step limit.
    pub(crate) fn tick(&mut self) -> Result<(), EvalError> {
        self.steps += 1;
        if self.steps > self.limits.max_steps {
            return Err(EvalError::StepLimit {
                limit: self.limits.max_steps,
            });
        }
        Ok(())
    }

    /// Wraps a built string after checking the string limit.
    pub(crate) fn string(&self, text: String) -> Result<Value, EvalError> {
        self.check_string(text.len())?;
        Ok(Value::from(text))
    }

    /// Fails when a string of `len` bytes would exceed the string limit.
    pub(crate) fn check_string(&self, len: usize) -> Result<(), EvalError> {
        self.check_new_string(Some(len))
    }

    /// Fails when a string about to be built, of `len` bytes worked out from its parts with
    /// checked arithmetic, would exceed the string limit. Called before building, so that a
    /// width or count taken from a request cannot make the evaluator allocate gigabytes only to
    /// refuse them afterwards; `None` (the arithmetic overflowed) exceeds any limit.
    pub(crate) fn check_new_string(&self, len: Option<usize>) -> Result<(), EvalError> {
        match len {
            Some(len) if len <= self.limits.max_string_length => Ok(()),
            _ => Err(EvalError::StringLimit {
                limit: self.limits.max_string_length,
            }),
        }
    }

    /// Fails when a built collection would exceed the collection limit.
    pub(crate) fn check_len(&self, len: usize) -> Result<(), EvalError> {
        if len > self.limits.max_collection_length {
            return Err(EvalError::CollectionLimit {
                limit: self.limits.max_collection_length,
            });
        }
        Ok(())
    }

    /// The limits this evaluation runs under.
    pub(crate) fn limits(&self) -> Limits {
        self.limits
    }

    /// C# `ToString()` of a value (null is empty). JSON and XML are written only until they
    /// pass the string limit: a longer result is cut off just past it, which every string
    /// built from it refuses at the limit.
    pub(crate) fn display(&self, value: &Value) -> String {
        to_display_capped(value, self.host, self.limits.max_string_length)
    }

    /// Reads a local (initializers read back the object they built).
    pub(crate) fn read_local(&self, slot: Slot) -> Value {
        self.local(slot)
    }

    /// Stores an `out` argument's value.
    pub(crate) fn write_local(&mut self, slot: Slot, value: Value) {
        self.set_local(slot, value);
    }

    fn local(&self, slot: Slot) -> Value {
        self.frame
            .get(usize::from(slot))
            .cloned()
            .unwrap_or_default()
    }

    fn set_local(&mut self, slot: Slot, value: Value) {
        // The checker sized the frame for every slot it handed out.
        if let Some(place) = self.frame.get_mut(usize::from(slot)) {
            *place = value;
        }
    }

    /// Evaluates one node.
    pub(crate) fn eval(&mut self, node: &Node) -> Result<Value, EvalError> {
        self.tick()?;
        match node {
            Node::Const(value) => Ok(value.clone()),
            Node::Local(slot) => Ok(self.local(*slot)),
            Node::Prop(target, prop) => {
                let target = self.eval(target)?;
                stdlib::get(self, target, prop)
            }
            Node::Call(call) => self.call(call),
            Node::Unary(op, operand) => {
                let operand = self.eval(operand)?;
                ops::unary(*op, operand)
            }
            Node::Binary(op, lhs, rhs) => {
                let lhs = self.eval(lhs)?;
                let rhs = self.eval(rhs)?;
                ops::binary(self, *op, lhs, rhs)
            }
            _ => self.eval_control(node),
        }
    }

    /// Nodes with their own control flow.
    fn eval_control(&mut self, node: &Node) -> Result<Value, EvalError> {
        match node {
            Node::And(lhs, rhs) => Ok(Value::Bool(self.eval_bool(lhs)? && self.eval_bool(rhs)?)),
            Node::Or(lhs, rhs) => Ok(Value::Bool(self.eval_bool(lhs)? || self.eval_bool(rhs)?)),
            Node::IsNull { operand, negate } => Ok(Value::Bool(self.is_null(operand)? != *negate)),
            Node::StrEq {
                operand,
                constant,
                negate,
            } => Ok(Value::Bool(self.str_eq(operand, constant)? != *negate)),
            Node::Coalesce(lhs, rhs) => match self.eval(lhs)? {
                Value::Null => self.eval(rhs),
                value => Ok(value),
            },
            Node::Cond(cond, then, otherwise) => {
                let branch = if self.eval_bool(cond)? {
                    then
                } else {
                    otherwise
                };
                self.eval(branch)
            }
            Node::CondAccess {
                target,
                slot,
                access,
            } => match self.eval(target)? {
                Value::Null => Ok(Value::Null),
                value => {
                    self.set_local(*slot, value);
                    self.eval(access)
                }
            },
            _ => self.eval_data(node),
        }
    }

    fn eval_data(&mut self, node: &Node) -> Result<Value, EvalError> {
        match node {
            Node::Convert(operand, conversion) => {
                let value = self.eval(operand)?;
                convert::apply(self, value, conversion)
            }
            Node::Is {
                operand,
                ty,
                binding,
            } => self.type_test(operand, ty, *binding),
            Node::As(operand, ty) => {
                let value = self.eval(operand)?;
                Ok(if ty.accepts(&value) {
                    value
                } else {
                    Value::Null
                })
            }
            Node::Interp(pieces) => self.interpolate(pieces),
            Node::Lambda(lambda) => Ok(Value::Lambda(Lambda(Arc::clone(lambda)))),
            Node::Throw(operand) => {
                let value = self.eval(operand)?;
                Err(stmt::exception_from(self, value))
            }
            Node::Assign(place, value) => {
                let value = self.eval(value)?;
                self.write(place, value.clone())?;
                Ok(value)
            }
            Node::Update {
                place,
                op,
                value,
                prefix,
            } => self.update(place, *op, value, *prefix),
            Node::Invoke(id, args) => self.invoke_function(*id, args),
            _ => Err(EvalError::NotSupported {
                what: format!("{node:?}"),
            }),
        }
    }

    /// `x is T name`: binds `name` when the value is a `T`.
    fn type_test(
        &mut self,
        operand: &Node,
        ty: &crate::types::Ty,
        binding: Option<Slot>,
    ) -> Result<Value, EvalError> {
        let value = self.eval(operand)?;
        let matched = ty.accepts(&value);
        if let (true, Some(slot)) = (matched, binding) {
            self.set_local(slot, value);
        }
        Ok(Value::Bool(matched))
    }

    /// Whether `node` evaluates to null; `context` members are asked without building a value.
    fn is_null(&mut self, node: &Node) -> Result<bool, EvalError> {
        if let Node::Prop(target, stdlib::Prop::Host(prop)) = node
            && let Node::Const(Value::Host(object)) = &**target
            && let Some(absent) = stdlib::host::is_absent(self, *object, *prop)
        {
            self.tick()?;
            return Ok(absent);
        }
        Ok(self.eval(node)?.is_null())
    }

    /// Whether `node` is the string `constant`; `context` text is compared where it lives.
    fn str_eq(&mut self, node: &Node, constant: &str) -> Result<bool, EvalError> {
        if let Node::Prop(target, stdlib::Prop::Host(prop)) = node
            && let Node::Const(Value::Host(object)) = &**target
            && let Some(equal) = stdlib::host::text_equals(self, *object, *prop, constant)
        {
            self.tick()?;
            return Ok(equal);
        }
        Ok(match self.eval(node)? {
            Value::Str(s) => *s == *constant,
            _ => false,
        })
    }

    /// Evaluates a condition; the checker made sure it is a `bool`.
    pub(crate) fn eval_bool(&mut self, node: &Node) -> Result<bool, EvalError> {
        match self.eval(node)? {
            Value::Bool(b) => Ok(b),
            Value::Null => Err(EvalError::NullReference),
            other => Err(EvalError::cast(other.type_name(), "System.Boolean")),
        }
    }

    fn call(&mut self, call: &crate::ir::Call) -> Result<Value, EvalError> {
        let target = match &call.target {
            Some(node) => self.eval(node)?,
            None => Value::Null,
        };
        let mut args = Vec::with_capacity(call.args.len());
        for arg in &call.args {
            args.push(self.eval(arg)?);
        }
        let result = stdlib::call(self, &call.func, target, args)?;
        if let Value::Str(s) = &result {
            self.check_string(s.len())?;
        }
        Ok(result)
    }

    fn interpolate(&mut self, pieces: &[Piece]) -> Result<Value, EvalError> {
        let mut out = String::new();
        for piece in pieces {
            match piece {
                Piece::Text(text) => stdlib::convert::push_aligned(self, &mut out, text, 0)?,
                Piece::Value {
                    node,
                    format,
                    alignment,
                } => {
                    let text = self.hole_text(node, format.as_deref())?;
                    let alignment = i64::from(*alignment);
                    stdlib::convert::push_aligned(self, &mut out, &text, alignment)?;
                }
            }
        }
        Ok(Value::from(out))
    }

    fn hole_text(&mut self, node: &Node, format: Option<&str>) -> Result<String, EvalError> {
        let value = self.eval(node)?;
        match format {
            Some(format) => stdlib::convert::format_value(&value, format, self),
            None => Ok(self.display(&value)),
        }
    }

    /// Calls a lambda value with `args`.
    pub(crate) fn invoke(&mut self, function: &Value, args: &[Value]) -> Result<Value, EvalError> {
        let Value::Lambda(Lambda(lambda)) = function else {
            return Err(EvalError::cast(function.type_name(), "System.Delegate"));
        };
        self.enter()?;

        for (slot, value) in lambda.params.iter().zip(args) {
            self.set_local(*slot, value.clone());
        }
        let result = match &lambda.body {
            LambdaBody::Expr(node) => self.eval(node),
            LambdaBody::Block(stmt) => self.run_lambda_block(stmt),
        };
        self.depth -= 1;
        result
    }

    /// Calls local function `id`: arguments are evaluated in the caller's frame, then the
    /// function's slots are saved, so a recursive call leaves its caller's locals as they were.
    fn invoke_function(&mut self, id: usize, args: &[Node]) -> Result<Value, EvalError> {
        let functions = self.functions;
        let Some(function) = functions.get(id) else {
            return Err(EvalError::NotSupported {
                what: "A local function that did not compile".to_owned(),
            });
        };
        let mut values = Vec::with_capacity(args.len());
        for arg in args {
            values.push(self.eval(arg)?);
        }
        self.enter()?;

        let (first, end) = (usize::from(function.frame.0), usize::from(function.frame.1));
        let saved: Vec<Value> = self
            .frame
            .get(first..end)
            .map(<[Value]>::to_vec)
            .unwrap_or_default();
        for (slot, value) in function.params.iter().zip(values) {
            self.set_local(*slot, value);
        }
        let result = match &function.body {
            LambdaBody::Expr(node) => self.eval(node),
            LambdaBody::Block(stmt) => self.run_lambda_block(stmt),
        };
        if let Some(slots) = self.frame.get_mut(first..end) {
            slots.clone_from_slice(&saved);
        }

        self.depth -= 1;
        result
    }

    /// Counts one level of call nesting against the depth limit.
    fn enter(&mut self) -> Result<(), EvalError> {
        self.depth += 1;
        if self.depth > self.limits.max_depth {
            self.depth -= 1;
            return Err(EvalError::DepthLimit {
                limit: self.limits.max_depth,
            });
        }
        Ok(())
    }

    /// Invokes a predicate lambda.
    pub(crate) fn test(&mut self, function: &Value, item: &Value) -> Result<bool, EvalError> {
        match self.invoke(function, std::slice::from_ref(item))? {
            Value::Bool(b) => Ok(b),
            other => Err(EvalError::cast(other.type_name(), "System.Boolean")),
        }
    }

    /// Invokes a predicate that may take the item's index as a second parameter.
    pub(crate) fn test_at(
        &mut self,
        function: &Value,
        item: &Value,
        index: usize,
    ) -> Result<bool, EvalError> {
        let index = Value::Int(i32::try_from(index).unwrap_or(i32::MAX));
        match self.invoke(function, &[item.clone(), index])? {
            Value::Bool(b) => Ok(b),
            other => Err(EvalError::cast(other.type_name(), "System.Boolean")),
        }
    }

    fn write(&mut self, place: &Place, value: Value) -> Result<(), EvalError> {
        match place {
            Place::Local(slot) => {
                self.set_local(*slot, value);
                Ok(())
            }
            Place::Index {
                target,
                key,
                setter,
                ..
            } => {
                let target = self.eval(target)?;
                let key = self.eval(key)?;
                stdlib::call(self, setter, target, vec![key, value]).map(drop)
            }
            Place::Member { target, setter, .. } => {
                let target = self.eval(target)?;
                stdlib::call(self, setter, target, vec![value]).map(drop)
            }
        }
    }

    fn read(&mut self, place: &Place) -> Result<Value, EvalError> {
        match place {
            Place::Local(slot) => Ok(self.local(*slot)),
            Place::Index {
                target,
                key,
                getter,
                ..
            } => {
                let target = self.eval(target)?;
                let key = self.eval(key)?;
                stdlib::call(self, getter, target, vec![key])
            }
            Place::Member { target, getter, .. } => {
                let target = self.eval(target)?;
                match getter {
                    Some(prop) => stdlib::get(self, target, prop),
                    None => Err(EvalError::NotSupported {
                        what: "Reading a write-only property".to_owned(),
                    }),
                }
            }
        }
    }

    fn update(
        &mut self,
        place: &Place,
        op: crate::ast::BinOp,
        value: &Node,
        prefix: bool,
    ) -> Result<Value, EvalError> {
        let old = self.read(place)?;
        if op == crate::ast::BinOp::Coalesce && !old.is_null() {
            return Ok(old);
        }
        let operand = self.eval(value)?;
        let new = match op {
            crate::ast::BinOp::Coalesce => operand,
            op => ops::binary(self, op, old.clone(), operand)?,
        };
        self.write(place, new.clone())?;
        Ok(if prefix { new } else { old })
    }
}
