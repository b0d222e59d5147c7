//! Statements of `@{ … }` blocks and iteration over enumerable values.

use super::Machine;
use crate::error::EvalError;
use crate::host::HostObject;
use crate::ir::{CatchClause, Stmt};
use crate::stdlib::host::entries;
use crate::value::{JTokenKind, List, MessagePart, RegexPart, Value};

/// How a statement finished.
pub(crate) enum Flow {
    Next,
    Return(Value),
    Break,
    Continue,
}

impl Machine<'_> {
    pub(crate) fn run_block(&mut self, stmts: &[Stmt]) -> Result<Value, EvalError> {
        for stmt in stmts {
            if let Flow::Return(value) = self.exec(stmt)? {
                return Ok(value);
            }
        }
        Ok(Value::Null)
    }

    pub(crate) fn run_lambda_block(&mut self, stmt: &Stmt) -> Result<Value, EvalError> {
        match self.exec(stmt)? {
            Flow::Return(value) => Ok(value),
            _ => Ok(Value::Null),
        }
    }

    fn exec(&mut self, stmt: &Stmt) -> Result<Flow, EvalError> {
        self.tick()?;
        match stmt {
            Stmt::Block(stmts) => self.exec_all(stmts),
            Stmt::Let(slot, node) => {
                let value = self.eval(node)?;
                self.set_local(*slot, value);
                Ok(Flow::Next)
            }
            Stmt::Expr(node) => self.eval(node).map(|_| Flow::Next),
            Stmt::If(cond, then, otherwise) => {
                if self.eval_bool(cond)? {
                    self.exec(then)
                } else {
                    otherwise.as_ref().map_or(Ok(Flow::Next), |s| self.exec(s))
                }
            }
            Stmt::Return(node) => Ok(Flow::Return(self.eval(node)?)),
            Stmt::Break => Ok(Flow::Break),
            Stmt::Continue => Ok(Flow::Continue),
            Stmt::Throw(node) => Err(self.throw(node.as_ref())?),
            _ => self.exec_compound(stmt),
        }
    }

    fn exec_compound(&mut self, stmt: &Stmt) -> Result<Flow, EvalError> {
        match stmt {
            Stmt::Foreach { slot, seq, body } => {
                let seq = self.eval(seq)?;
                for item in self.items(&seq)? {
                    self.tick()?;
                    self.set_local(*slot, item);
                    match self.exec(body)? {
                        Flow::Break => break,
                        Flow::Return(value) => return Ok(Flow::Return(value)),
                        Flow::Next | Flow::Continue => {}
                    }
                }
                Ok(Flow::Next)
            }
            Stmt::While {
                cond,
                body,
                step,
                check_first,
            } => self.exec_loop(cond, body, step, *check_first),
            Stmt::Switch { subject, sections } => self.exec_switch(subject, sections),
            Stmt::Try {
                body,
                catches,
                finally,
            } => {
                let result = self.exec(body);
                let result = self.handle(result, catches);
                if let Some(finally) = finally
                    && let Flow::Return(value) = self.exec(finally)?
                {
                    return Ok(Flow::Return(value));
                }
                result
            }
            _ => Ok(Flow::Next),
        }
    }

    fn exec_all(&mut self, stmts: &[Stmt]) -> Result<Flow, EvalError> {
        for stmt in stmts {
            match self.exec(stmt)? {
                Flow::Next => {}
                other => return Ok(other),
            }
        }
        Ok(Flow::Next)
    }

    fn exec_loop(
        &mut self,
        cond: &crate::ir::Node,
        body: &Stmt,
        step: &[crate::ir::Node],
        check_first: bool,
    ) -> Result<Flow, EvalError> {
        let mut first = true;
        loop {
            self.tick()?;
            let must_check = check_first || !first;
            first = false;
            if must_check && !self.eval_bool(cond)? {
                return Ok(Flow::Next);
            }
            match self.exec(body)? {
                Flow::Break => return Ok(Flow::Next),
                Flow::Return(value) => return Ok(Flow::Return(value)),
                Flow::Next | Flow::Continue => {}
            }
            for node in step {
                self.eval(node)?;
            }
        }
    }

    fn exec_switch(
        &mut self,
        subject: &crate::ir::Node,
        sections: &[crate::ir::SwitchSection],
    ) -> Result<Flow, EvalError> {
        let subject = self.eval(subject)?;
        let mut chosen = None;
        'sections: for (index, (labels, _)) in sections.iter().enumerate() {
            for label in labels.iter().flatten() {
                if super::values_equal(&subject, &self.eval(label)?) {
                    chosen = Some(index);
                    break 'sections;
                }
            }
        }
        let chosen = chosen.or_else(|| {
            sections
                .iter()
                .position(|(labels, _)| labels.iter().any(Option::is_none))
        });
        let Some(index) = chosen else {
            return Ok(Flow::Next);
        };
        match self.exec_all(&sections[index].1)? {
            Flow::Break | Flow::Next => Ok(Flow::Next),
            other => Ok(other),
        }
    }

    /// Runs the first matching `catch` for a failure; limits are never caught.
    fn handle(
        &mut self,
        result: Result<Flow, EvalError>,
        catches: &[CatchClause],
    ) -> Result<Flow, EvalError> {
        let error = match result {
            Err(error) if !error.is_limit() => error,
            other => return other,
        };
        let Some(clause) = catches.iter().find(|c| catches_type(c, &error)) else {
            return Err(error);
        };

        if let Some(slot) = clause.slot {
            let exception = (
                Value::str(error.exception_type()),
                Value::from(error.dotnet_message()),
            );
            self.set_local(slot, Value::Pair(std::sync::Arc::new(exception)));
        }
        self.caught.push(error);
        let outcome = self.exec(&clause.body);
        self.caught.pop();
        outcome
    }

    fn throw(&mut self, node: Option<&crate::ir::Node>) -> Result<EvalError, EvalError> {
        match node {
            Some(node) => {
                let value = self.eval(node)?;
                Ok(exception_from(self, value))
            }
            None => Ok(self
                .caught
                .last()
                .cloned()
                .unwrap_or(EvalError::invalid("No exception to rethrow."))),
        }
    }

    /// The items `foreach` and LINQ see.
    pub(crate) fn items(&mut self, seq: &Value) -> Result<Vec<Value>, EvalError> {
        Ok(match seq {
            Value::Null => return Err(EvalError::NullReference),
            Value::Str(s) => s.chars().map(Value::Char).collect(),
            Value::Bytes(b) => b
                .to_vec()
                .into_iter()
                .map(|x| Value::Int(i32::from(x)))
                .collect(),
            Value::List(list) => list.items(),
            Value::Dict(dict) => dict.entries().into_iter().map(pair).collect(),
            Value::Json(token) => json_items(token)?,
            Value::Host(object) => self.host_items(*object),
            Value::Message(message) if message.part == MessagePart::Headers => message
                .data
                .headers
                .iter()
                .map(|(n, v)| string_values(n, v))
                .collect(),
            Value::JwtClaims(jwt) => jwt
                .claims
                .iter()
                .map(|(n, v)| string_values(n, v))
                .collect(),
            Value::Regex(found, RegexPart::Groups) => (0..found.groups.len())
                .map(|i| Value::Regex(found.clone(), RegexPart::Group(i)))
                .collect(),
            other => {
                return Err(EvalError::cast(
                    other.type_name(),
                    "System.Collections.IEnumerable",
                ));
            }
        })
    }

    /// Dictionaries of the context model enumerate pairs; certificates and groups enumerate
    /// their handles.
    fn host_items(&self, object: HostObject) -> Vec<Value> {
        let handles = matches!(
            object,
            HostObject::DeploymentCertificates | HostObject::Groups(_)
        );
        let entries = entries(self, object).into_iter();
        if handles {
            entries.map(|(_, v)| v).collect()
        } else {
            entries.map(pair).collect()
        }
    }
}

/// A `JObject` enumerates `KeyValuePair<string, JToken>`; arrays their items.
fn json_items(token: &crate::value::JToken) -> Result<Vec<Value>, EvalError> {
    Ok(match token.kind() {
        JTokenKind::Object => token
            .properties()
            .into_iter()
            .map(|(n, v)| pair((Value::Str(n), Value::Json(v))))
            .collect(),
        JTokenKind::Value => {
            return Err(EvalError::invalid(
                "Cannot access child value on Newtonsoft.Json.Linq.JValue.",
            ));
        }
        _ => token.children().into_iter().map(Value::Json).collect(),
    })
}

/// A `KeyValuePair<string, string[]>` of a header-like dictionary.
fn string_values(name: &crate::context::Str, values: &[crate::context::Str]) -> Value {
    let values = List::array(values.iter().cloned().map(Value::Str).collect());
    pair((Value::Str(name.clone()), Value::List(values)))
}

fn pair(entry: (Value, Value)) -> Value {
    Value::Pair(std::sync::Arc::new(entry))
}

fn catches_type(clause: &CatchClause, error: &EvalError) -> bool {
    match clause.type_name.as_deref() {
        None | Some("Exception" | "System.Exception") => true,
        Some(name) => {
            let short = name.rsplit('.').next().unwrap_or(name);
            short == error.exception_type()
                || (short == "SystemException" && !matches!(error, EvalError::Thrown { .. }))
        }
    }
}

/// The error a `throw` raises for a thrown value: exceptions are (type, message) pairs.
pub(crate) fn exception_from(m: &Machine<'_>, value: Value) -> EvalError {
    match value {
        Value::Pair(pair) => EvalError::Thrown {
            type_name: m.display(&pair.0),
            message: m.display(&pair.1),
        },
        Value::Null => EvalError::NullReference,
        other => EvalError::Thrown {
            type_name: "Exception".to_owned(),
            message: m.display(&other),
        },
    }
}
