//! Policy documents as stored; compiling them is the policy crate's job.

use serde::{Deserialize, Serialize};

/// How the policy text is encoded, as APIM's `PolicyContentFormat` names it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PolicyFormat {
    /// Raw XML: expressions may contain unescaped `"`, `<` and `&`.
    Rawxml,
    /// Well-formed XML (APIM's default).
    #[default]
    Xml,
}

/// `properties` of a `.../policies/policy` resource.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PolicyProperties {
    /// How `value` is encoded.
    #[serde(default)]
    pub format: PolicyFormat,
    /// The policy document (`<policies>...</policies>`).
    pub value: String,
}
