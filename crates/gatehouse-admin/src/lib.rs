//! gatehouse-admin
