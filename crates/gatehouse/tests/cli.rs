//! The command line: `cert thumbprint`, `cert issue-client` and `policy check`, checked against
//! the openssl command line.

use std::path::Path;
use std::process::{Command, Output};

use anyhow::Result;
use gatehouse_testkit::{GatewayProcess, Pki};

const BINARY: &str = env!("CARGO_BIN_EXE_gatehouse");

fn gatehouse(args: &[&str]) -> Result<Output> {
    Ok(Command::new(BINARY).args(args).output()?)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn openssl(args: &[&str]) -> Result<String> {
    let output = Command::new("openssl").args(args).output()?;
    anyhow::ensure!(
        output.status.success(),
        "openssl {args:?}: {}",
        text(&output.stderr)
    );
    Ok(text(&output.stdout))
}

#[test]
fn thumbprint_of_pem_der_and_pfx_matches_openssl() -> Result<()> {
    let pki = Pki::new()?;
    let client = pki.self_signed_client("thumb")?;
    let der = pki.dir().join("thumb.der");
    openssl(&[
        "x509",
        "-in",
        client.cert.to_str().unwrap(),
        "-outform",
        "DER",
        "-out",
        der.to_str().unwrap(),
    ])?;

    for (file, password) in [
        (&client.cert, None),
        (&der, None),
        (&client.pfx, Some(client.password.as_str())),
    ] {
        let mut args = vec!["cert", "thumbprint", file.to_str().unwrap()];
        args.extend(password.map(|p| ["--password", p]).into_iter().flatten());
        let output = gatehouse(&args)?;
        assert!(output.status.success(), "{}", text(&output.stderr));
        assert_eq!(text(&output.stdout).trim(), client.thumbprint, "{file:?}");
    }
    Ok(())
}

#[test]
fn thumbprint_with_a_wrong_password_says_so_and_fails() -> Result<()> {
    let pki = Pki::new()?;
    let client = pki.self_signed_client("wrong")?;

    let output = gatehouse(&[
        "cert",
        "thumbprint",
        client.pfx.to_str().unwrap(),
        "--password",
        "nope",
    ])?;

    assert!(!output.status.success());
    assert!(
        text(&output.stderr).contains("wrong password"),
        "{}",
        text(&output.stderr)
    );
    Ok(())
}

#[test]
fn issue_client_writes_a_pfx_openssl_opens_with_the_password() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let data = dir.path().join("data");
    let gateway = GatewayProcess::start(Path::new(BINARY), &data)?;
    gateway.stop()?;
    let pfx = dir.path().join("client.pfx");
    let prefix = dir.path().join("client");

    let output = gatehouse(&[
        "cert",
        "issue-client",
        "--cn",
        "Client One",
        "--out",
        pfx.to_str().unwrap(),
        "--password",
        "s3cret",
        "--pem-out",
        prefix.to_str().unwrap(),
        "--data-dir",
        data.to_str().unwrap(),
    ])?;

    assert!(output.status.success(), "{}", text(&output.stderr));
    let subject = openssl(&[
        "pkcs12",
        "-in",
        pfx.to_str().unwrap(),
        "-passin",
        "pass:s3cret",
        "-nokeys",
        "-clcerts",
    ])?;
    assert!(
        subject.contains("CN = Client One") || subject.contains("CN=Client One"),
        "{subject}"
    );
    let fingerprint = openssl(&[
        "x509",
        "-in",
        prefix.with_extension("pem").to_str().unwrap(),
        "-noout",
        "-fingerprint",
        "-sha1",
    ])?;
    let fingerprint = fingerprint
        .trim()
        .rsplit('=')
        .next()
        .unwrap_or_default()
        .replace(':', "");
    assert!(
        text(&output.stdout).contains(&fingerprint),
        "{}",
        text(&output.stdout)
    );
    let verified = openssl(&[
        "verify",
        "-CAfile",
        data.join("tls/ca.pem").to_str().unwrap(),
        prefix.with_extension("pem").to_str().unwrap(),
    ])?;
    assert!(verified.contains("OK"), "{verified}");
    Ok(())
}

#[test]
fn issue_client_refuses_an_empty_password_name_or_an_impossible_validity() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let data = dir.path().join("data");
    let out = dir.path().join("c.pfx");
    let issue = |cn: &str, password: &str, days: &str| {
        gatehouse(&[
            "cert",
            "issue-client",
            "--cn",
            cn,
            "--out",
            out.to_str().unwrap(),
            "--password",
            password,
            "--days",
            days,
            "--data-dir",
            data.to_str().unwrap(),
        ])
    };
    GatewayProcess::start(Path::new(BINARY), &data)?.stop()?;

    let cases = [
        ("x", "", "30", "password"),
        ("", "p", "30", "common name"),
        ("x", "p", "0", "1 to 36500"),
        ("x", "p", "3000000", "1 to 36500"),
    ];
    for (cn, password, days, expected) in cases {
        let output = issue(cn, password, days)?;

        let error = text(&output.stderr);
        assert!(!output.status.success(), "{cn:?} {password:?} {days}");
        assert!(error.contains(expected), "{expected}: {error}");
        assert!(!error.contains("panicked"), "{error}");
        assert!(!out.exists(), "nothing is written on failure");
    }
    Ok(())
}

#[test]
fn issue_client_without_a_local_ca_says_how_to_make_one() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let out = dir.path().join("c.pfx");

    let output = gatehouse(&[
        "cert",
        "issue-client",
        "--cn",
        "x",
        "--out",
        out.to_str().unwrap(),
        "--password",
        "p",
        "--data-dir",
        dir.path().join("none").to_str().unwrap(),
    ])?;

    assert!(!output.status.success());
    assert!(
        text(&output.stderr).contains("gatehouse serve"),
        "{}",
        text(&output.stderr)
    );
    assert!(!out.exists(), "nothing is written on failure");
    Ok(())
}

#[test]
fn policy_check_reports_file_line_column_and_fails_only_on_errors() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let good = dir.path().join("good.xml");
    let bad = dir.path().join("bad.xml");
    std::fs::write(&good, "<policies><inbound><base /></inbound></policies>")?;
    std::fs::write(
        &bad,
        "<policies>\n  <inbound>\n    <choose>\n  </inbound>\n</policies>",
    )?;

    let ok = gatehouse(&["policy", "check", good.to_str().unwrap()])?;
    let failed = gatehouse(&[
        "policy",
        "check",
        good.to_str().unwrap(),
        bad.to_str().unwrap(),
    ])?;

    assert!(
        ok.status.success(),
        "{}{}",
        text(&ok.stdout),
        text(&ok.stderr)
    );
    assert!(!failed.status.success());
    let printed = text(&failed.stdout);
    let first = printed.lines().next().unwrap_or_default();
    assert!(
        first.starts_with(&format!("{}:", bad.display())),
        "{printed}"
    );
    let position: Vec<&str> = first[bad.display().to_string().len() + 1..]
        .splitn(3, ':')
        .collect();
    assert!(
        position[0].parse::<u32>().is_ok() && position[1].parse::<u32>().is_ok(),
        "{first}"
    );
    Ok(())
}
