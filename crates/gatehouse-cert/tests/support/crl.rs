//! CRLs made by `openssl ca -gencrl`.

use super::Workdir;

/// What the CRL looks like.
pub struct CrlSpec<'a> {
    /// The CA (`<issuer>.crt` / `<issuer>.key`) that signs it.
    pub issuer: &'a str,
    /// `(certificate file, reason)` pairs to revoke; an empty reason revokes without one.
    pub revoked: &'a [(&'a str, &'a str)],
    /// Days until nextUpdate.
    pub days: u32,
    /// With a `crlnumber` file (a version 2 CRL with a CRL number); without one and without
    /// extensions, openssl writes a version 1 CRL.
    pub numbered: bool,
    /// Lines of the CRL extension section (`crl_extensions`), empty for none.
    pub extensions: &'a str,
}

impl Default for CrlSpec<'_> {
    fn default() -> Self {
        Self {
            issuer: "int",
            revoked: &[],
            days: 30,
            numbered: true,
            extensions: "",
        }
    }
}

/// Writes `<out>.crl` (PEM) as `spec` says.
pub fn make_crl(work: &Workdir, out: &str, spec: &CrlSpec<'_>) {
    let config = config(out, spec);
    let cnf = format!("{out}.cnf");
    work.write(&cnf, config.as_bytes());
    work.write(&format!("{out}-index.txt"), b"");
    work.write(&format!("{out}-crlnumber"), b"01\n");

    let key = format!("{}.key", spec.issuer);
    let crt = format!("{}.crt", spec.issuer);
    let base = ["ca", "-config", &cnf, "-keyfile", &key, "-cert", &crt];
    for (certificate, reason) in spec.revoked {
        let mut args = base.to_vec();
        args.extend(["-revoke", certificate]);
        if !reason.is_empty() {
            args.extend(["-crl_reason", reason]);
        }
        work.openssl(&args);
    }

    let crl = format!("{out}.crl");
    let mut args = base.to_vec();
    args.extend(["-gencrl", "-out", &crl]);
    work.openssl(&args);
}

fn config(out: &str, spec: &CrlSpec<'_>) -> String {
    let mut config = format!(
        "[ca]\ndefault_ca = this\n[this]\ndatabase = {out}-index.txt\ndefault_md = sha256\ndefault_crl_days = {}\n",
        spec.days
    );
    if spec.numbered {
        config.push_str(&format!("crlnumber = {out}-crlnumber\n"));
    }
    if !spec.extensions.is_empty() {
        config.push_str(&format!(
            "crl_extensions = crl_ext\n[crl_ext]\n{}\n",
            spec.extensions
        ));
    }
    config
}
