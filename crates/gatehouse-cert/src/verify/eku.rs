//! The .NET extended key usage rule, plugged into rustls-webpki's path builder.
//!
//! webpki calls the validator for every certificate of a candidate path. .NET asks the same
//! of each certificate that has an EKU extension: it must list the required usage or
//! anyExtendedKeyUsage. Certificates without the extension allow every usage, and when no
//! usage is required (`Verify()`), only the extension's encoding is checked.

use webpki::{ExtendedKeyUsageValidator, KeyPurposeId, KeyPurposeIdIter};

use crate::verify::RequiredUsage;

const CLIENT_AUTH: &[u8] = &[0x2B, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x02];
const SERVER_AUTH: &[u8] = &[0x2B, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x01];
const ANY_USAGE: &[u8] = &[0x55, 0x1D, 0x25, 0x00];

/// The .NET EKU rule for one required usage.
pub(crate) struct DotnetEku(pub(crate) RequiredUsage);

impl DotnetEku {
    fn required_oid(&self) -> Option<&'static [u8]> {
        match self.0 {
            RequiredUsage::ClientAuth => Some(CLIENT_AUTH),
            RequiredUsage::ServerAuth => Some(SERVER_AUTH),
            RequiredUsage::Any => None,
        }
    }
}

impl ExtendedKeyUsageValidator for DotnetEku {
    fn validate(&self, mut usages: KeyPurposeIdIter<'_, '_>) -> Result<(), webpki::Error> {
        let Some(required_oid) = self.required_oid() else {
            // Nothing is required, but a malformed extension still fails.
            return usages.try_for_each(|usage| usage.map(drop));
        };

        let required = KeyPurposeId::new(required_oid);
        let mut present = Vec::new();
        for usage in usages {
            let usage = usage?;
            if usage == required || usage == KeyPurposeId::new(ANY_USAGE) {
                return Ok(());
            }
            present.push(usage.to_decoded_oid());
        }
        if present.is_empty() {
            return Ok(());
        }
        let context = webpki::RequiredEkuNotFoundContext {
            required: webpki::KeyUsage::required(required_oid),
            present,
        };
        Err(webpki::Error::RequiredEkuNotFoundContext(context))
    }
}
