//! Object identifier friendly names as .NET reports them (`Oid.FriendlyName`).
//!
//! .NET keeps one table of names that Windows reports identically in every language, and uses
//! it on every platform. The same lookup names distinguished-name attributes (`CN`, `S`, `E`),
//! signature algorithms (`sha256RSA`) and key algorithms (`RSA`, `ECC`), so one table serves
//! all three. An OID missing here has no friendly name; in a distinguished name it prints as
//! `OID.1.2.3`, exactly as Windows and .NET print it. Source: dotnet/runtime `OidLookup.cs`
//! (the non-localised table and its compatibility aliases), checked against real Windows
//! output such as `OID.2.5.4.15=Private Organization` in EV certificate subjects.

/// Well-known OIDs the crate refers to by name.
pub(crate) mod known {
    pub(crate) const COMMON_NAME: &str = "2.5.4.3";
    pub(crate) const ORGANIZATIONAL_UNIT: &str = "2.5.4.11";
    pub(crate) const ORGANIZATION: &str = "2.5.4.10";
    pub(crate) const EMAIL_ADDRESS: &str = "1.2.840.113549.1.9.1";
    pub(crate) const SUBJECT_ALT_NAME: &str = "2.5.29.17";
    pub(crate) const ISSUER_ALT_NAME: &str = "2.5.29.18";
    pub(crate) const EXTENDED_KEY_USAGE: &str = "2.5.29.37";
    pub(crate) const KEY_USAGE: &str = "2.5.29.15";
    pub(crate) const BASIC_CONSTRAINTS: &str = "2.5.29.19";
    pub(crate) const CRL_DISTRIBUTION_POINTS: &str = "2.5.29.31";
    pub(crate) const USER_PRINCIPAL_NAME: &str = "1.3.6.1.4.1.311.20.2.3";
    pub(crate) const CLIENT_AUTH: &str = "1.3.6.1.5.5.7.3.2";
    pub(crate) const ANY_EXTENDED_KEY_USAGE: &str = "2.5.29.37.0";
    pub(crate) const RSA_ENCRYPTION: &str = "1.2.840.113549.1.1.1";
    pub(crate) const EC_PUBLIC_KEY: &str = "1.2.840.10045.2.1";
    pub(crate) const ED25519: &str = "1.3.101.112";
    pub(crate) const P256: &str = "1.2.840.10045.3.1.7";
    pub(crate) const P384: &str = "1.3.132.0.34";
    pub(crate) const P521: &str = "1.3.132.0.35";
    pub(crate) const SECP256K1: &str = "1.3.132.0.10";
}

/// The .NET friendly name of `oid`, or `None` when .NET has none.
pub fn friendly_name(oid: &str) -> Option<&'static str> {
    x500_attribute_name(oid)
        .or_else(|| algorithm_name(oid))
        .or_else(|| curve_name(oid))
        .or_else(|| other_name(oid))
}

/// Attribute types of distinguished names (the short keys CertNameToStr prints).
fn x500_attribute_name(oid: &str) -> Option<&'static str> {
    let name = match oid {
        "2.5.4.3" => "CN",
        "2.5.4.4" => "SN",
        "2.5.4.5" => "SERIALNUMBER",
        "2.5.4.6" => "C",
        "2.5.4.7" => "L",
        "2.5.4.8" => "S",
        "2.5.4.9" => "STREET",
        "2.5.4.10" => "O",
        "2.5.4.11" => "OU",
        "2.5.4.12" => "T",
        "2.5.4.13" => "Description",
        "2.5.4.17" => "PostalCode",
        "2.5.4.18" => "POBox",
        "2.5.4.20" => "Phone",
        "2.5.4.24" => "X21Address",
        "2.5.4.42" => "G",
        "2.5.4.43" => "I",
        "2.5.4.46" => "dnQualifier",
        "1.2.840.113549.1.9.1" => "E",
        "0.9.2342.19200300.100.1.25" => "DC",
        _ => return None,
    };
    Some(name)
}

/// Signature, digest, key and cipher algorithms.
fn algorithm_name(oid: &str) -> Option<&'static str> {
    let name = match oid {
        "1.2.840.113549.1.1.1" => "RSA",
        "1.2.840.113549.1.1.2" | "1.3.14.7.2.3.1" => "md2RSA",
        "1.2.840.113549.1.1.3" | "1.3.14.3.2.2" | "1.3.14.3.2.4" => "md4RSA",
        "1.2.840.113549.1.1.4" | "1.3.14.3.2.3" => "md5RSA",
        "1.2.840.113549.1.1.5" | "1.3.14.3.2.29" => "sha1RSA",
        "1.2.840.113549.1.1.7" => "RSAES_OAEP",
        "1.2.840.113549.1.1.8" => "mgf1",
        "1.2.840.113549.1.1.10" => "RSASSA-PSS",
        "1.2.840.113549.1.1.11" => "sha256RSA",
        "1.2.840.113549.1.1.12" => "sha384RSA",
        "1.2.840.113549.1.1.13" => "sha512RSA",
        "1.3.14.3.2.15" => "shaRSA",
        "1.3.14.3.2.22" => "RSA_KEYX",
        "1.2.840.10045.2.1" => "ECC",
        "1.2.840.10045.4.1" => "sha1ECDSA",
        "1.2.840.10045.4.3" => "specifiedECDSA",
        "1.2.840.10045.4.3.2" => "sha256ECDSA",
        "1.2.840.10045.4.3.3" => "sha384ECDSA",
        "1.2.840.10045.4.3.4" => "sha512ECDSA",
        "1.2.840.10040.4.1" | "1.3.14.3.2.12" => "DSA",
        "1.2.840.10040.4.3" | "1.3.14.3.2.13" => "sha1DSA",
        "1.3.14.3.2.27" => "dsaSHA1",
        "1.2.840.10046.2.1" | "1.2.840.113549.1.3.1" => "DH",
        "1.2.840.113549.2.2" => "md2",
        "1.2.840.113549.2.4" => "md4",
        "1.2.840.113549.2.5" => "md5",
        "1.3.14.3.2.26" => "sha1",
        "1.3.14.3.2.18" => "sha",
        "2.16.840.1.101.3.4.2.1" => "sha256",
        "2.16.840.1.101.3.4.2.2" => "sha384",
        "2.16.840.1.101.3.4.2.3" => "sha512",
        "1.2.840.113549.3.2" => "rc2",
        "1.2.840.113549.3.4" => "rc4",
        "1.2.840.113549.3.7" => "3des",
        "1.3.14.3.2.7" => "des",
        "2.16.840.1.101.3.4.1.2" => "aes128",
        "2.16.840.1.101.3.4.1.22" => "aes192",
        "2.16.840.1.101.3.4.1.42" => "aes256",
        "2.16.840.1.101.3.4.1.5" => "aes128wrap",
        "2.16.840.1.101.3.4.1.25" => "aes192wrap",
        "2.16.840.1.101.3.4.1.45" => "aes256wrap",
        "2.16.840.1.101.2.1.1.19" => "mosaicUpdatedSig",
        "2.16.840.1.101.2.1.1.20" => "mosaicKMandUpdSig",
        _ => return None,
    };
    Some(name)
}

/// Named elliptic curves.
fn curve_name(oid: &str) -> Option<&'static str> {
    let name = match oid {
        "1.2.840.10045.3.1.7" => "ECDSA_P256",
        "1.3.132.0.34" => "ECDSA_P384",
        "1.3.132.0.35" => "ECDSA_P521",
        "1.2.840.10045.3.1.1" => "nistP192",
        "1.3.132.0.33" => "nistP224",
        "1.2.840.10045.3.1.2" => "x962P192v2",
        "1.2.840.10045.3.1.3" => "x962P192v3",
        "1.2.840.10045.3.1.4" => "x962P239v1",
        "1.2.840.10045.3.1.5" => "x962P239v2",
        "1.2.840.10045.3.1.6" => "x962P239v3",
        "1.3.132.0.8" => "secP160r1",
        "1.3.132.0.9" => "secP160k1",
        "1.3.132.0.10" => "secP256k1",
        "1.3.132.0.30" => "secP160r2",
        "1.3.132.0.31" => "secP192k1",
        "1.3.132.0.32" => "secP224k1",
        "2.23.43.1.4.9" => "wtls9",
        "1.2.156.11235.1.1.2.1" => "ec192wapi",
        _ => return brainpool_name(oid),
    };
    Some(name)
}

fn brainpool_name(oid: &str) -> Option<&'static str> {
    const NAMES: [&str; 14] = [
        "brainpoolP160r1",
        "brainpoolP160t1",
        "brainpoolP192r1",
        "brainpoolP192t1",
        "brainpoolP224r1",
        "brainpoolP224t1",
        "brainpoolP256r1",
        "brainpoolP256t1",
        "brainpoolP320r1",
        "brainpoolP320t1",
        "brainpoolP384r1",
        "brainpoolP384t1",
        "brainpoolP512r1",
        "brainpoolP512t1",
    ];
    let index: usize = oid.strip_prefix("1.3.36.3.3.2.8.1.1.")?.parse().ok()?;
    NAMES.get(index.checked_sub(1)?).copied()
}

/// The remaining entries of the table: CMS wraps, key agreement and policy qualifiers.
fn other_name(oid: &str) -> Option<&'static str> {
    let name = match oid {
        "1.2.840.113549.1.9.16.3.5" => "ESDH",
        "1.2.840.113549.1.9.16.3.6" => "CMS3DESwrap",
        "1.2.840.113549.1.9.16.3.7" => "CMSRC2wrap",
        "1.3.133.16.840.63.0.2" => "ECDH_STD_SHA1_KDF",
        "1.3.132.1.11.1" => "ECDH_STD_SHA256_KDF",
        "1.3.132.1.11.2" => "ECDH_STD_SHA384_KDF",
        "1.3.6.1.5.5.7.2.1" => "CPS",
        "1.3.6.1.5.5.7.6.2" => "NO_SIGN",
        _ => return None,
    };
    Some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_distinguished_name_attributes_like_windows() {
        let cases = [
            ("2.5.4.3", "CN"),
            ("2.5.4.8", "S"),
            ("1.2.840.113549.1.9.1", "E"),
            ("2.5.4.9", "STREET"),
            ("2.5.4.5", "SERIALNUMBER"),
            ("0.9.2342.19200300.100.1.25", "DC"),
            ("2.5.4.42", "G"),
            ("2.5.4.4", "SN"),
            ("2.5.4.12", "T"),
            ("2.5.4.17", "PostalCode"),
        ];
        for (oid, name) in cases {
            assert_eq!(friendly_name(oid), Some(name), "{oid}");
        }
    }

    #[test]
    fn leaves_attributes_windows_does_not_name() {
        // businessCategory, jurisdiction country and user id print as OID.x.y.z.
        for oid in [
            "2.5.4.15",
            "1.3.6.1.4.1.311.60.2.1.3",
            "0.9.2342.19200300.100.1.1",
        ] {
            assert_eq!(friendly_name(oid), None, "{oid}");
        }
    }

    #[test]
    fn names_signature_and_key_algorithms() {
        assert_eq!(friendly_name("1.2.840.113549.1.1.11"), Some("sha256RSA"));
        assert_eq!(friendly_name("1.2.840.10045.4.3.2"), Some("sha256ECDSA"));
        assert_eq!(friendly_name("1.2.840.113549.1.1.10"), Some("RSASSA-PSS"));
        assert_eq!(friendly_name("1.2.840.10045.2.1"), Some("ECC"));
        assert_eq!(
            friendly_name("1.3.36.3.3.2.8.1.1.7"),
            Some("brainpoolP256r1")
        );
        assert_eq!(friendly_name("1.3.36.3.3.2.8.1.1.15"), None);
        assert_eq!(friendly_name("1.3.101.112"), None);
    }
}
