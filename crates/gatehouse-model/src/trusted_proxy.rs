//! Trusted proxies (`trustedProxies/{id}`): TLS-terminating load balancers whose requests
//! may carry the caller's client certificate in a header.
//!
//! There are none by default, so no header ever becomes an identity until an operator names
//! the proxy's addresses and the one format it writes. Not an APIM resource: APIM reads such
//! headers only through policy expressions.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::ModelError;
use crate::api::invalid;

/// The most address ranges one proxy entry lists.
const MAX_ADDRESSES: usize = 64;

/// How a proxy forwards the certificate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ForwardedHeaderFormat {
    /// RFC 9440 `Client-Cert` and `Client-Cert-Chain`.
    Rfc9440,
    /// Envoy's `X-Forwarded-Client-Cert`.
    EnvoyXfcc,
    /// `X-ARR-ClientCert` (IIS ARR, Azure App Service): base64 DER.
    ArrClientCert,
    /// URL-encoded PEM in the header named by `header` (nginx `$ssl_client_escaped_cert`,
    /// Azure Application Gateway).
    UrlEncodedPem,
}

/// `properties` of `trustedProxies/{id}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TrustedProxyProperties {
    /// The proxy's addresses: IPv4 or IPv6 addresses or CIDR ranges (`10.0.0.0/8`).
    pub addresses: Vec<String>,
    /// The one format this proxy writes.
    pub format: ForwardedHeaderFormat,
    /// The header of the `urlEncodedPem` format (e.g. `X-Client-Cert`); refused otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub header: Option<String>,
    /// For `envoyXfcc`: the `By` value the proxy writes (its own identity); when set, the
    /// element for this hop must carry it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub envoy_by: Option<String>,
}

impl TrustedProxyProperties {
    /// Checks the addresses and the format's settings.
    ///
    /// # Errors
    /// [`ModelError::InvalidProperty`] naming the property.
    pub fn validate(&self) -> Result<Vec<Cidr>, ModelError> {
        if self.addresses.is_empty() || self.addresses.len() > MAX_ADDRESSES {
            return Err(invalid(
                "addresses",
                "must list 1 to 64 addresses or ranges",
            ));
        }
        let ranges = self
            .addresses
            .iter()
            .map(|a| a.parse::<Cidr>())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|reason| invalid("addresses", &reason))?;
        self.check_format_settings()?;
        Ok(ranges)
    }

    fn check_format_settings(&self) -> Result<(), ModelError> {
        let pem = self.format == ForwardedHeaderFormat::UrlEncodedPem;
        match &self.header {
            None if pem => Err(invalid(
                "header",
                "is required for the urlEncodedPem format",
            )),
            Some(_) if !pem => Err(invalid(
                "header",
                "applies to the urlEncodedPem format only",
            )),
            Some(name) if !is_header_name(name) => Err(invalid("header", "is not a header name")),
            _ => Ok(()),
        }?;
        if self.envoy_by.is_some() && self.format != ForwardedHeaderFormat::EnvoyXfcc {
            return Err(invalid("envoyBy", "applies to the envoyXfcc format only"));
        }
        Ok(())
    }
}

fn is_header_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// An address range: a network address and a prefix length.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cidr {
    network: IpAddr,
    prefix: u8,
}

impl Cidr {
    /// Whether `address` is in the range. IPv4-mapped IPv6 addresses count as IPv4.
    pub fn contains(&self, address: IpAddr) -> bool {
        match (self.network, address.to_canonical()) {
            (IpAddr::V4(network), IpAddr::V4(a)) => {
                masked(u32::from(network).into(), self.prefix, 32)
                    == masked(u32::from(a).into(), self.prefix, 32)
            }
            (IpAddr::V6(network), IpAddr::V6(a)) => {
                masked(u128::from(network), self.prefix, 128)
                    == masked(u128::from(a), self.prefix, 128)
            }
            _ => false,
        }
    }
}

/// The top `prefix` bits of a `width`-bit address.
fn masked(address: u128, prefix: u8, width: u8) -> u128 {
    let dropped = u32::from(width - prefix.min(width));
    address.checked_shr(dropped).unwrap_or(0)
}

impl FromStr for Cidr {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let (address, prefix) = match text.trim().split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (text.trim(), None),
        };
        let network: IpAddr = address
            .parse()
            .map_err(|_| format!("'{text}' is not an IP address or CIDR range"))?;
        let network = network.to_canonical();
        let width = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => width,
            Some(p) => p
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= width)
                .ok_or_else(|| format!("'{text}' has a prefix length outside 0-{width}"))?,
        };
        Ok(Self { network, prefix })
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cidr(text: &str) -> Cidr {
        text.parse().unwrap()
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn ranges_contain_their_addresses_only() {
        assert!(cidr("10.0.0.0/8").contains(ip("10.200.3.4")));
        assert!(!cidr("10.0.0.0/8").contains(ip("11.0.0.1")));
        assert!(cidr("127.0.0.2").contains(ip("127.0.0.2")));
        assert!(!cidr("127.0.0.2").contains(ip("127.0.0.1")));
        assert!(cidr("0.0.0.0/0").contains(ip("8.8.8.8")));
        assert!(cidr("fd00::/8").contains(ip("fd12::1")));
        assert!(!cidr("fd00::/8").contains(ip("10.0.0.1")));
        assert!(
            cidr("10.0.0.0/8").contains(ip("::ffff:10.1.2.3")),
            "IPv4-mapped"
        );
    }

    #[test]
    fn malformed_ranges_are_refused() {
        for text in [
            "",
            "10.0.0.0/33",
            "::/129",
            "10.0.0/8",
            "host.example",
            "10.0.0.0/-1",
        ] {
            assert!(text.parse::<Cidr>().is_err(), "{text}");
        }
    }

    #[test]
    fn format_settings_must_fit_the_format() {
        let proxy = |json: serde_json::Value| -> TrustedProxyProperties {
            serde_json::from_value(json).unwrap()
        };
        let pem = proxy(serde_json::json!({"addresses": ["10.0.0.1"], "format": "urlEncodedPem"}));
        assert!(pem.validate().is_err(), "the header is required");
        let arr = proxy(
            serde_json::json!({"addresses": ["10.0.0.1"], "format": "arrClientCert", "header": "X-A"}),
        );
        assert!(arr.validate().is_err(), "no header for other formats");
        let ok = proxy(serde_json::json!({"addresses": ["10.0.0.0/8"], "format": "rfc9440"}));
        assert_eq!(ok.validate().unwrap(), vec![cidr("10.0.0.0/8")]);
    }
}
