//! gatehouse-expr
