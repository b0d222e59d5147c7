"""ECDSA P-256 certificates made with the openssl command line.

A CA; a server certificate for localhost and 127.0.0.1; a client certificate with the
clientAuth extended key usage (its thumbprint is the one every server admits); a rogue
self-signed client certificate that every server must refuse; and an unrelated "hint" CA that
haproxy, which has no equivalent of nginx's optional_no_ca, is given as its ca-file so that
it verifies no chain signature the other servers do not verify either.
"""

import pathlib
import subprocess

DAYS = "30"

EXTENSIONS = """\
[server]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1

[client]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
subjectAltName = URI:spiffe://bench/client
"""


class Pki:
    """Paths of the generated files, and the client certificate's thumbprint."""

    def __init__(self, directory):
        self.dir = pathlib.Path(directory)
        self.ca = self.dir / "ca.pem"
        self.server_cert = self.dir / "server.pem"
        self.server_key = self.dir / "server.key"
        self.server_combined = self.dir / "server-combined.pem"
        self.client_cert = self.dir / "client.pem"
        self.client_key = self.dir / "client.key"
        self.rogue_cert = self.dir / "rogue.pem"
        self.rogue_key = self.dir / "rogue.key"
        self.hint_ca = self.dir / "hint-ca.pem"
        self.thumbprint = ""


def make(directory):
    """Creates every certificate under `directory` and returns the Pki."""
    pki = Pki(directory)
    pki.dir.mkdir(parents=True, exist_ok=True)
    ext = pki.dir / "ext.cnf"
    ext.write_text(EXTENSIONS)

    ca_key = pki.dir / "ca.key"
    _self_signed(pki.ca, ca_key, "/CN=Gatehouse Bench CA", ca=True)
    _issued(pki, "server", pki.server_cert, pki.server_key, "/CN=localhost", ca_key, ext)
    _issued(pki, "client", pki.client_cert, pki.client_key, "/CN=bench-client", ca_key, ext)
    _self_signed(pki.rogue_cert, pki.rogue_key, "/CN=bench-client", ca=False)
    _self_signed(pki.hint_ca, pki.dir / "hint-ca.key", "/CN=Unrelated Hint CA", ca=True)
    pki.server_combined.write_text(pki.server_cert.read_text() + pki.server_key.read_text())
    pki.thumbprint = thumbprint(pki.client_cert)
    return pki


def thumbprint(cert):
    """SHA-1 of the DER certificate, uppercase hex (APIM's and haproxy's form)."""
    out = _openssl("x509", "-in", cert, "-noout", "-fingerprint", "-sha1")
    return out.split("=", 1)[1].strip().replace(":", "").upper()


def _key(path):
    _openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", path)


def _self_signed(cert, key, subject, ca):
    _key(key)
    extensions = (
        ["-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"]
        if ca
        else ["-addext", "extendedKeyUsage=clientAuth", "-addext", "keyUsage=critical,digitalSignature"]
    )
    _openssl("req", "-x509", "-new", "-key", key, "-subj", subject, "-days", DAYS, "-sha256", *extensions, "-out", cert)


def _issued(pki, kind, cert, key, subject, ca_key, ext):
    _key(key)
    csr = pki.dir / f"{kind}.csr"
    _openssl("req", "-new", "-key", key, "-subj", subject, "-out", csr)
    _openssl(
        "x509", "-req", "-in", csr, "-CA", pki.ca, "-CAkey", ca_key, "-set_serial", _serial(),
        "-days", DAYS, "-sha256", "-extfile", ext, "-extensions", kind, "-out", cert,
    )


def _serial():
    import secrets

    return str(secrets.randbits(63) | 1)


def _openssl(*args):
    result = subprocess.run(["openssl", *map(str, args)], capture_output=True, text=True, timeout=30)
    if result.returncode != 0:
        raise RuntimeError(f"openssl {args[0]} failed: {result.stderr.strip()}")
    return result.stdout
