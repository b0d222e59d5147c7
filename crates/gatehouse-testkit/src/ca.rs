//! Certificate authorities run with `openssl ca`: roots, intermediates, client certificates
//! with chosen names, usages and dates, revocation and CRLs from `openssl ca -gencrl`.
//!
//! Every CA is valid from 2019 to 2049, so client certificates dated in the past (expired)
//! or the future (not yet valid) still sit inside their issuer's validity.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::pki::{openssl, request, str, thumbprint};
use crate::{ClientCert, Pki};

/// When every test CA starts and ends (openssl `ca` date format).
const CA_START: &str = "20190101000000Z";
const CA_END: &str = "20491231000000Z";

/// One CA: its directory (openssl's database, serials, CRL number), certificate and key.
#[derive(Debug, Clone)]
pub struct TestCa {
    dir: PathBuf,
    /// The CA certificate, PEM.
    pub cert: PathBuf,
    /// The CA's private key, PEM.
    pub key: PathBuf,
    /// The CA certificate's SHA-1 thumbprint, uppercase hex.
    pub thumbprint: String,
    /// Its issuers' certificates, nearest first (empty for a root).
    pub parents: Vec<PathBuf>,
}

/// What a client certificate should look like.
#[derive(Debug, Clone)]
pub struct LeafSpec {
    /// The subject, openssl `-subj` syntax (`/CN=client/O=Contoso`).
    pub subject: String,
    /// Extended key usages (`clientAuth`); none at all when empty.
    pub eku: Vec<String>,
    /// DNS names for the subject alternative name extension.
    pub dns: Vec<String>,
    /// notBefore and notAfter (`YYYYMMDDHHMMSSZ`); 30 days from now when `None`.
    pub dates: Option<(String, String)>,
}

impl LeafSpec {
    /// A current client certificate named `CN=cn` with the clientAuth usage.
    pub fn client(cn: &str) -> Self {
        Self {
            subject: format!("/CN={cn}"),
            eku: vec!["clientAuth".to_owned()],
            dns: Vec::new(),
            dates: None,
        }
    }

    /// The same with another subject.
    pub fn subject(mut self, subject: &str) -> Self {
        subject.clone_into(&mut self.subject);
        self
    }

    /// The same with these extended key usages (none at all when empty).
    pub fn eku(mut self, usages: &[&str]) -> Self {
        self.eku = usages.iter().map(|u| (*u).to_owned()).collect();
        self
    }

    /// The same with DNS alternative names.
    pub fn dns(mut self, names: &[&str]) -> Self {
        self.dns = names.iter().map(|n| (*n).to_owned()).collect();
        self
    }

    /// The same, valid only between `start` and `end` (`YYYYMMDDHHMMSSZ`).
    pub fn dates(mut self, start: &str, end: &str) -> Self {
        self.dates = Some((start.to_owned(), end.to_owned()));
        self
    }
}

impl Pki {
    /// A self-signed root CA named `/CN={name}`.
    ///
    /// # Errors
    /// When openssl fails.
    pub fn root_ca(&self, name: &str) -> Result<TestCa> {
        let dir = TestCa::prepare(self.dir(), name)?;
        let (csr, key) = (dir.join("ca.csr"), dir.join("ca.key"));
        request(&key, &csr, &format!("/CN={name}"))?;
        let ca = TestCa::at(dir, Vec::new())?;
        ca.sign(
            &csr,
            &ca.cert,
            &ca_extensions(&ca.dir)?,
            Some((CA_START, CA_END)),
            true,
        )?;
        ca.finish()
    }
}

impl TestCa {
    /// An intermediate CA named `/CN={name}`, issued by this CA.
    ///
    /// # Errors
    /// When openssl fails.
    pub fn intermediate(&self, name: &str) -> Result<TestCa> {
        let base = self.dir.parent().context("CA directory without a parent")?;
        let dir = Self::prepare(base, name)?;
        let (csr, key) = (dir.join("ca.csr"), dir.join("ca.key"));
        request(&key, &csr, &format!("/CN={name}"))?;
        let mut parents = vec![self.cert.clone()];
        parents.extend(self.parents.iter().cloned());
        let ca = TestCa::at(dir, parents)?;
        self.sign(
            &csr,
            &ca.cert,
            &ca_extensions(&ca.dir)?,
            Some((CA_START, CA_END)),
            false,
        )?;
        ca.finish()
    }

    /// Issues a client certificate; its `cert` file holds the leaf only (see
    /// [`TestCa::chain_of`] for one with the intermediates).
    ///
    /// # Errors
    /// When openssl fails.
    pub fn issue(&self, name: &str, spec: &LeafSpec) -> Result<ClientCert> {
        let dir = self.dir.join("issued");
        std::fs::create_dir_all(&dir)?;
        let (key, csr, cert) = (
            dir.join(format!("{name}.key")),
            dir.join(format!("{name}.csr")),
            dir.join(format!("{name}.pem")),
        );
        request(&key, &csr, &spec.subject)?;
        let extensions = dir.join(format!("{name}.ext"));
        std::fs::write(&extensions, leaf_extensions(spec))?;
        let dates = spec.dates.as_ref().map(|(s, e)| (s.as_str(), e.as_str()));
        self.sign(&csr, &cert, &extensions, dates, false)?;
        crate::pki::client_cert(name, &dir, cert, key)
    }

    /// A copy of `client` whose `cert` file also holds this CA's intermediates (the CA
    /// itself and its parents below the root), as curl then sends them.
    ///
    /// # Errors
    /// When a file cannot be read or written.
    pub fn chain_of(&self, client: &ClientCert) -> Result<ClientCert> {
        let mut pem = std::fs::read_to_string(&client.cert)?;
        let below_root = std::iter::once(&self.cert).chain(&self.parents);
        let intermediates: Vec<&PathBuf> = below_root.take(self.parents.len()).collect();
        for path in intermediates {
            pem.push_str(&std::fs::read_to_string(path)?);
        }
        let chained = client.cert.with_extension("chain.pem");
        std::fs::write(&chained, pem)?;
        Ok(ClientCert {
            cert: chained,
            ..client.clone()
        })
    }

    /// Marks `client` revoked in this CA's database; [`TestCa::crl`] then lists it.
    ///
    /// # Errors
    /// When openssl fails.
    pub fn revoke(&self, client: &ClientCert) -> Result<()> {
        let config = self.config();
        openssl(&[
            "ca",
            "-batch",
            "-config",
            str(&config)?,
            "-revoke",
            str(&client.cert)?,
        ])?;
        Ok(())
    }

    /// A version 2 CRL of everything revoked so far, PEM, valid for 30 days.
    ///
    /// # Errors
    /// When openssl fails.
    pub fn crl(&self) -> Result<PathBuf> {
        let out = self.dir.join("crl.pem");
        let config = self.config();
        openssl(&[
            "ca",
            "-batch",
            "-config",
            str(&config)?,
            "-gencrl",
            "-out",
            str(&out)?,
        ])?;
        Ok(out)
    }

    fn prepare(base: &Path, name: &str) -> Result<PathBuf> {
        let dir = base.join(format!("ca-{}", name.replace(' ', "-")));
        std::fs::create_dir_all(dir.join("certs"))?;
        std::fs::write(dir.join("index.txt"), "")?;
        std::fs::write(dir.join("index.txt.attr"), "unique_subject = no\n")?;
        std::fs::write(dir.join("serial"), "1000\n")?;
        std::fs::write(dir.join("crlnumber"), "01\n")?;
        Ok(dir)
    }

    fn at(dir: PathBuf, parents: Vec<PathBuf>) -> Result<Self> {
        let ca = Self {
            cert: dir.join("ca.pem"),
            key: dir.join("ca.key"),
            thumbprint: String::new(),
            parents,
            dir,
        };
        std::fs::write(ca.config(), ca_config(&ca.dir))?;
        Ok(ca)
    }

    fn finish(mut self) -> Result<Self> {
        self.thumbprint = thumbprint(&self.cert)?;
        Ok(self)
    }

    fn config(&self) -> PathBuf {
        self.dir.join("ca.cnf")
    }

    /// Signs `csr` into `out` with `extensions`; `self_sign` for a root's own certificate.
    fn sign(
        &self,
        csr: &Path,
        out: &Path,
        extensions: &Path,
        dates: Option<(&str, &str)>,
        self_sign: bool,
    ) -> Result<()> {
        let config = self.config();
        let mut args = vec![
            "ca",
            "-batch",
            "-notext",
            "-preserveDN",
            "-config",
            str(&config)?,
        ];
        args.extend([
            "-in",
            str(csr)?,
            "-out",
            str(out)?,
            "-extfile",
            str(extensions)?,
        ]);
        if self_sign {
            args.extend(["-selfsign", "-keyfile", str(&self.key)?]);
        }
        match dates {
            Some((start, end)) => args.extend(["-startdate", start, "-enddate", end]),
            None => args.extend(["-days", "30"]),
        }
        openssl(&args)?;
        Ok(())
    }
}

fn ca_extensions(dir: &Path) -> Result<PathBuf> {
    let path = dir.join("ca.ext");
    std::fs::write(
        &path,
        "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\n",
    )?;
    Ok(path)
}

fn leaf_extensions(spec: &LeafSpec) -> String {
    let mut text = String::from("basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\n");
    if !spec.eku.is_empty() {
        text.push_str(&format!("extendedKeyUsage={}\n", spec.eku.join(",")));
    }
    if !spec.dns.is_empty() {
        let names: Vec<String> = spec.dns.iter().map(|d| format!("DNS:{d}")).collect();
        text.push_str(&format!("subjectAltName={}\n", names.join(",")));
    }
    text
}

/// An `openssl ca` configuration that keeps the request's names as written.
fn ca_config(dir: &Path) -> String {
    let d = dir.display();
    format!(
        "[ca]\ndefault_ca = this\n\n[this]\ndatabase = {d}/index.txt\nnew_certs_dir = {d}/certs\n\
         serial = {d}/serial\ncrlnumber = {d}/crlnumber\ncertificate = {d}/ca.pem\n\
         private_key = {d}/ca.key\ndefault_md = sha256\ndefault_crl_days = 30\npolicy = any\n\n\
         [any]\ncountryName = optional\nstateOrProvinceName = optional\nlocalityName = optional\n\
         organizationName = optional\norganizationalUnitName = optional\ncommonName = supplied\n\
         emailAddress = optional\n"
    )
}
