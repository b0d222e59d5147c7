//! Products: groups of APIs that subscriptions are granted to.

use serde::{Deserialize, Serialize};

use crate::api::yes;

/// Whether developers can see a product.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ProductState {
    /// Hidden from developers.
    #[default]
    NotPublished,
    /// Visible to developers.
    Published,
}

/// `properties` of `products/{productId}`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ProductProperties {
    /// Name shown in the console; defaults to the product id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// Free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Terms of use, free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub terms: Option<String>,
    /// Whether calling the product's APIs needs a subscription key.
    #[serde(default = "yes")]
    pub subscription_required: bool,
    /// Whether subscriptions need an administrator's approval (kept for round trips).
    #[serde(default)]
    pub approval_required: bool,
    /// How many subscriptions a user may hold (kept for round trips).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subscriptions_limit: Option<u32>,
    /// Published or not.
    #[serde(default)]
    pub state: ProductState,
}
