//! The `cert` and `policy` subcommands.

use std::fs;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use gatehouse_policy::compile::{ScopeLevel, compile_document};

use crate::cli::{CertCommand, PolicyCommand};
use crate::provision::{DataDir, write_file};

/// Runs a `gatehouse cert` subcommand.
///
/// # Errors
/// When a file cannot be read or written, or a certificate cannot be read or issued.
pub(crate) fn cert(command: CertCommand) -> Result<ExitCode> {
    match command {
        CertCommand::Thumbprint { file, password } => {
            let bytes =
                fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let imported = gatehouse_cert::import_certificate(&bytes, password.as_deref())
                .with_context(|| format!("{}", file.display()))?;
            println!("{}", imported.certificate().thumbprint());
        }
        CertCommand::IssueClient {
            cn,
            out,
            password,
            pem_out,
            days,
            data_dir,
        } => {
            issue_client(
                &DataDir::new(data_dir),
                &cn,
                &out,
                &password,
                pem_out.as_deref(),
                days,
            )?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn issue_client(
    data: &DataDir,
    cn: &str,
    out: &Path,
    password: &str,
    pem_out: Option<&Path>,
    days: u32,
) -> Result<()> {
    if password.is_empty() {
        bail!("an empty --password leaves the private key in the PFX unprotected: give a password");
    }
    let ca = data.local_ca()?;
    let issued = ca.issue_client(cn, days)?;
    let pfx = gatehouse_cert::ca::write_pfx(&issued, &[ca.certificate()], password)?;
    write_file(out, &pfx, true)?;

    let certificate = issued.certificate();
    println!("Issued a client certificate for CN={cn}, valid {days} days.");
    println!("  Thumbprint: {}", certificate.thumbprint());
    println!("  PFX:        {}", out.display());
    if let Some(prefix) = pem_out {
        let (cert_path, key_path) = (prefix.with_extension("pem"), prefix.with_extension("key"));
        write_file(&cert_path, issued.cert_pem().as_bytes(), false)?;
        write_file(&key_path, issued.key_pem().as_bytes(), true)?;
        println!(
            "  PEM:        {} and {}",
            cert_path.display(),
            key_path.display()
        );
    }
    Ok(())
}

/// Runs a `gatehouse policy` subcommand.
///
/// # Errors
/// When a file cannot be read.
pub(crate) fn policy(command: PolicyCommand) -> Result<ExitCode> {
    let files = match command {
        PolicyCommand::Check { files } => files,
        PolicyCommand::Test { policy, request } => {
            return crate::policy_test::run(&policy, &request);
        }
    };
    let mut failed = 0;
    for file in &files {
        let text =
            fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
        if let Err(diagnostics) = compile_document(&text, ScopeLevel::Api) {
            failed += 1;
            for diagnostic in diagnostics {
                println!("{}:{diagnostic}", file.display());
            }
        }
        // Warnings never change the exit status.
        for warning in gatehouse_policy::lint::lint(&text) {
            let (line, column) = (warning.line, warning.column);
            println!(
                "{}:{line}:{column}: warning: {}",
                file.display(),
                warning.message
            );
        }
    }
    let ok = files.len() - failed;
    eprintln!("{ok} of {} policy file(s) compile", files.len());
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
