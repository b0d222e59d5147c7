//! Policy fragments (`policyFragments/{id}`): policy statements that policies include with
//! `<include-fragment fragment-id="id"/>`.

use serde::{Deserialize, Serialize};

use crate::PolicyFormat;

/// `properties` of `policyFragments/{fragmentId}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PolicyFragmentProperties {
    /// How `value` is encoded.
    #[serde(default)]
    pub format: PolicyFormat,
    /// The fragment document (`<fragment>...</fragment>`).
    pub value: String,
    /// Free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}
