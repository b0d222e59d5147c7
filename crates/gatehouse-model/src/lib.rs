//! gatehouse-model
