//! Subscription keys: where a request carries one, and which subscription it opens.
//!
//! Keys are secrets. The index holds them under their SHA-256 so a lookup reveals nothing
//! through timing about keys the caller does not already hold, and the final comparison of
//! the presented key with the stored one is constant-time. Keys never reach logs or traces.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// A subscription as the data plane needs it.
#[derive(Debug)]
pub struct Subscription {
    /// The subscription's id.
    pub id: Arc<str>,
    /// What the keys open.
    pub scope: Scope,
    /// Whether the state is `active`; other states never open anything.
    pub active: bool,
    /// Whether callers may ask for traces with this subscription's keys.
    pub allow_tracing: bool,
    /// The client certificates the keys work with; any when `None`.
    pub certificates: Option<gatehouse_model::CertificateBinding>,
    /// `context.Subscription` as seen with the primary key, then with the secondary key.
    pub context: [Arc<gatehouse_expr::context::SubscriptionInfo>; 2],
}

/// The APIs a subscription opens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Every API.
    AllApis,
    /// One API by id.
    Api(Arc<str>),
    /// The APIs of one product, by product id.
    Product(Arc<str>),
}

/// Which of a subscription's two keys was presented.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeySlot {
    /// `primaryKey`.
    Primary,
    /// `secondaryKey`.
    Secondary,
}

struct Entry {
    key: Box<[u8]>,
    slot: KeySlot,
    subscription: Arc<Subscription>,
}

/// Every key of every subscription, for lookup by the presented key.
#[derive(Default)]
pub struct KeyIndex {
    by_digest: HashMap<[u8; 32], Entry, BuildHasherDefault<DigestHasher>>,
}

/// Hashes a SHA-256 digest by its first eight bytes. The digest is already uniform, and the
/// indexed keys are the owner's, not a caller's, so hashing it again (SipHash) would only add
/// ~100 instructions to every request.
#[derive(Default)]
struct DigestHasher(u64);

impl Hasher for DigestHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    /// `[u8; 32]` arrives as its length, then its bytes: both are folded in, the length as a
    /// constant.
    fn write(&mut self, bytes: &[u8]) {
        let mut word = [0u8; 8];
        let n = bytes.len().min(8);
        word[..n].copy_from_slice(&bytes[..n]);
        self.0 ^= u64::from_ne_bytes(word);
    }
}

impl std::fmt::Debug for KeyIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyIndex")
            .field("keys", &self.by_digest.len())
            .finish()
    }
}

/// A key that opened a subscription.
#[derive(Debug, Clone)]
pub struct Granted {
    /// The subscription.
    pub subscription: Arc<Subscription>,
    /// Which of its keys was used.
    pub slot: KeySlot,
}

impl KeyIndex {
    /// Adds a subscription's key.
    pub fn insert(&mut self, key: &str, slot: KeySlot, subscription: Arc<Subscription>) {
        let entry = Entry {
            key: key.as_bytes().into(),
            slot,
            subscription,
        };
        self.by_digest.insert(digest(key), entry);
    }

    /// The subscription a presented key belongs to, if any (whatever its state or scope).
    pub fn find(&self, presented: &str) -> Option<Granted> {
        let entry = self.by_digest.get(&digest(presented))?;
        let equal: bool = entry.key.ct_eq(presented.as_bytes()).into();
        equal.then(|| Granted {
            subscription: entry.subscription.clone(),
            slot: entry.slot,
        })
    }

    /// How many keys are indexed.
    pub fn len(&self) -> usize {
        self.by_digest.len()
    }

    /// Whether no key is indexed.
    pub fn is_empty(&self) -> bool {
        self.by_digest.is_empty()
    }
}

impl Granted {
    /// `context.Subscription` for the key that was presented.
    pub fn context(&self) -> &Arc<gatehouse_expr::context::SubscriptionInfo> {
        match self.slot {
            KeySlot::Primary => &self.subscription.context[0],
            KeySlot::Secondary => &self.subscription.context[1],
        }
    }
}

impl Subscription {
    /// Whether this subscription's keys open `api`, which belongs to `api_products`.
    pub fn opens(&self, api: &str, api_products: &HashSet<Arc<str>>) -> bool {
        if !self.active {
            return false;
        }
        match &self.scope {
            Scope::AllApis => true,
            Scope::Api(id) => &**id == api,
            Scope::Product(product) => api_products.contains(product),
        }
    }
}

fn digest(key: &str) -> [u8; 32] {
    Sha256::digest(key.as_bytes()).into()
}

/// Finds the subscription key in a request: the header first, then the query parameter,
/// as APIM does ("the query parameter is checked only if the header isn't present").
pub fn presented_key<'r>(
    headers: &'r http::HeaderMap,
    query: Option<&'r str>,
    header_name: &str,
    query_name: &str,
) -> Option<std::borrow::Cow<'r, str>> {
    if let Some(value) = headers.get(header_name) {
        // Keys are visible ASCII; anything else is kept, replaced, for the lookup to miss.
        return Some(match value.to_str() {
            Ok(text) => std::borrow::Cow::Borrowed(text),
            Err(_) => String::from_utf8_lossy(value.as_bytes()),
        });
    }
    query?.split('&').find_map(|pair| {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        (name == query_name).then(|| gatehouse_policy::runtime::decode_component(value))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn subscription(scope: Scope, active: bool) -> Arc<Subscription> {
        let info = Arc::new(gatehouse_expr::context::SubscriptionInfo {
            id: "s".into(),
            key: "k".into(),
            name: "s".into(),
            primary_key: "k".into(),
            secondary_key: "k2".into(),
            created_date: time::OffsetDateTime::UNIX_EPOCH,
            start_date: None,
            end_date: None,
        });
        Arc::new(Subscription {
            id: "s".into(),
            scope,
            active,
            allow_tracing: false,
            certificates: None,
            context: [info.clone(), info],
        })
    }

    #[test]
    fn every_one_of_many_keys_finds_its_own_subscription() {
        let mut index = KeyIndex::default();
        for n in 0..5000 {
            let scope = Scope::Api(format!("api-{n}").into());
            index.insert(
                &format!("key-{n}"),
                KeySlot::Primary,
                subscription(scope, true),
            );
        }

        for n in 0..5000 {
            let granted = index.find(&format!("key-{n}")).expect("indexed key");
            assert_eq!(
                granted.subscription.scope,
                Scope::Api(format!("api-{n}").into())
            );
        }
        assert!(index.find("key-5000").is_none());
    }

    #[test]
    fn digests_spread_over_the_hash_space() {
        let hashes: HashSet<u64> = (0..1000)
            .map(|n| {
                let mut hasher = DigestHasher::default();
                std::hash::Hash::hash(&digest(&format!("key-{n}")), &mut hasher);
                hasher.finish()
            })
            .collect();
        assert_eq!(hashes.len(), 1000);
    }

    #[test]
    fn a_header_key_that_is_not_ascii_is_presented_with_replacements() {
        let mut headers = http::HeaderMap::new();
        let value = http::HeaderValue::from_bytes(b"abc\xffdef").unwrap();
        headers.insert("ocp-apim-subscription-key", value);

        let key = presented_key(
            &headers,
            None,
            "ocp-apim-subscription-key",
            "subscription-key",
        );

        assert_eq!(key.as_deref(), Some("abc\u{fffd}def"));
    }

    #[test]
    fn a_key_finds_its_subscription_and_slot() {
        let mut index = KeyIndex::default();
        index.insert(
            "k-primary",
            KeySlot::Primary,
            subscription(Scope::AllApis, true),
        );
        index.insert(
            "k-secondary",
            KeySlot::Secondary,
            subscription(Scope::AllApis, true),
        );

        assert_eq!(index.find("k-secondary").unwrap().slot, KeySlot::Secondary);
        assert!(index.find("k-primar").is_none());
        assert!(index.find("").is_none());
    }

    #[test]
    fn scopes_open_what_they_name_and_only_when_active() {
        let products: HashSet<Arc<str>> = ["starter".into()].into();
        let none = HashSet::new();

        assert!(subscription(Scope::AllApis, true).opens("echo-api", &none));
        assert!(subscription(Scope::Api("echo-api".into()), true).opens("echo-api", &none));
        assert!(!subscription(Scope::Api("other".into()), true).opens("echo-api", &products));
        assert!(subscription(Scope::Product("starter".into()), true).opens("echo-api", &products));
        assert!(!subscription(Scope::Product("starter".into()), true).opens("echo-api", &none));
        assert!(!subscription(Scope::AllApis, false).opens("echo-api", &products));
    }

    #[test]
    fn header_wins_over_query() {
        let mut headers = http::HeaderMap::new();
        let names = ("Ocp-Apim-Subscription-Key", "subscription-key");
        let query = Some("a=1&subscription-key=from%20query");

        assert_eq!(
            presented_key(&headers, query, names.0, names.1).unwrap(),
            "from query"
        );
        headers.insert("ocp-apim-subscription-key", "from-header".parse().unwrap());
        assert_eq!(
            presented_key(&headers, query, names.0, names.1).unwrap(),
            "from-header"
        );
        assert!(presented_key(&http::HeaderMap::new(), Some("x=1"), names.0, names.1).is_none());
    }
}
