//! Fixtures made at test time by the `openssl` command-line tool, so that what the crate
//! reads comes from an independent implementation.

#![allow(dead_code, unreachable_pub)]

use std::path::{Path, PathBuf};
use std::process::Command;

use tempfile::TempDir;

pub mod ber;
pub mod conformance;
pub mod crl;
pub mod fuzz;

/// A temporary directory where openssl writes its files.
pub struct Workdir {
    dir: TempDir,
}

impl Workdir {
    pub fn new() -> Self {
        Self {
            dir: tempfile::tempdir().expect("create a temporary directory"),
        }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn read(&self, name: &str) -> Vec<u8> {
        std::fs::read(self.path(name)).unwrap_or_else(|e| panic!("read {name}: {e}"))
    }

    pub fn write(&self, name: &str, bytes: &[u8]) {
        std::fs::write(self.path(name), bytes).unwrap_or_else(|e| panic!("write {name}: {e}"));
    }

    /// Runs openssl in this directory and returns its stdout; panics with stderr on failure.
    pub fn openssl(&self, args: &[&str]) -> String {
        let output = self.run(args);
        assert!(
            output.status.success(),
            "openssl {} failed:\n{}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// Runs openssl and returns the raw output, successful or not.
    pub fn run(&self, args: &[&str]) -> std::process::Output {
        Command::new("openssl")
            .args(args)
            .current_dir(self.dir.path())
            .output()
            .expect("run the openssl command-line tool")
    }

    /// A self-signed certificate `name.crt` with key `name.key`.
    pub fn self_signed(&self, name: &str, key_spec: &[&str], subject: &str, extra: &[&str]) {
        let (crt, key) = (format!("{name}.crt"), format!("{name}.key"));
        let mut args = vec!["req", "-x509", "-new", "-noenc", "-days", "30", "-utf8"];
        args.extend_from_slice(key_spec);
        args.extend_from_slice(&["-keyout", &key, "-out", &crt, "-subj", subject]);
        args.extend_from_slice(extra);
        self.openssl(&args);
    }

    /// A CA certificate `name.crt` / `name.key` (EC P-256).
    pub fn ca(&self, name: &str, subject: &str) {
        self.self_signed(
            name,
            &["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"],
            subject,
            &[
                "-addext",
                "basicConstraints=critical,CA:TRUE",
                "-addext",
                "keyUsage=critical,keyCertSign,cRLSign",
            ],
        );
    }

    /// A leaf `name.crt` / `name.key` signed by `ca`, with extensions from `extfile_lines`.
    pub fn leaf(
        &self,
        name: &str,
        ca: &str,
        key_spec: &[&str],
        subject: &str,
        serial: &str,
        ext: &str,
    ) {
        let (csr, key, crt, extfile) = (
            format!("{name}.csr"),
            format!("{name}.key"),
            format!("{name}.crt"),
            format!("{name}.ext"),
        );
        let mut args = vec!["req", "-new", "-noenc", "-utf8"];
        args.extend_from_slice(key_spec);
        args.extend_from_slice(&["-keyout", &key, "-out", &csr, "-subj", subject]);
        self.openssl(&args);

        self.write(&extfile, ext.as_bytes());
        let (ca_crt, ca_key) = (format!("{ca}.crt"), format!("{ca}.key"));
        self.openssl(&[
            "x509",
            "-req",
            "-in",
            &csr,
            "-CA",
            &ca_crt,
            "-CAkey",
            &ca_key,
            "-set_serial",
            serial,
            "-days",
            "30",
            "-extfile",
            &extfile,
            "-out",
            &crt,
        ]);
    }

    /// Converts a PEM certificate to DER.
    pub fn to_der(&self, pem_name: &str, der_name: &str) {
        self.openssl(&["x509", "-in", pem_name, "-outform", "DER", "-out", der_name]);
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

pub const RSA_2048: &[&str] = &["-newkey", "rsa:2048"];
pub const EC_P256: &[&str] = &["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"];
pub const EC_P384: &[&str] = &["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-384"];
pub const ED25519: &[&str] = &["-newkey", "ed25519"];

/// The SHA-1 fingerprint openssl reports, without colons.
pub fn openssl_thumbprint(work: &Workdir, crt: &str) -> String {
    let out = work.openssl(&["x509", "-in", crt, "-noout", "-fingerprint", "-sha1"]);
    out.trim()
        .split('=')
        .nth(1)
        .expect("fingerprint line")
        .replace(':', "")
}
