"""Checks made before a server is measured, so a broken configuration cannot produce a fast
number: the listed certificate gets the upstream's 200, the rogue certificate and no
certificate do not, and TLS sessions are not resumed.
"""

import subprocess
import tempfile

from .servers import PATH, SUBSCRIPTION_KEY, Ports, url


class CheckFailed(RuntimeError):
    """A server does not do the benchmark's job; its numbers would mean nothing."""


def verify(server_name, pki):
    """Raises CheckFailed unless the server admits exactly the listed certificate."""
    status, headers, body = _curl(pki, pki.client_cert, pki.client_key)
    if status != "200" or "x-bench-upstream: yes" not in headers.lower() or body != "ok\n":
        raise CheckFailed(f"{server_name}: the listed certificate got {status} {body!r}, not the upstream's 200 'ok'")
    for label, cert, key in [("rogue", pki.rogue_cert, pki.rogue_key), ("no", None, None)]:
        status, _, _ = _curl(pki, cert, key)
        if status == "200":
            raise CheckFailed(f"{server_name}: a {label} certificate was admitted (200)")
    if _resumes(pki):
        raise CheckFailed(f"{server_name}: a TLS session was resumed; full-handshake numbers would be wrong")


def _curl(pki, cert, key):
    """(status, headers, body) of one GET; status '000' when the handshake was refused."""
    with tempfile.NamedTemporaryFile("r") as headers, tempfile.NamedTemporaryFile("r") as body:
        argv = ["curl", "-sS", "--max-time", "10", "--tlsv1.3", "--cacert", str(pki.ca),
                "-H", f"Ocp-Apim-Subscription-Key: {SUBSCRIPTION_KEY}",
                "-D", headers.name, "-o", body.name, "-w", "%{http_code}", url()]
        if cert:
            argv[1:1] = ["--cert", str(cert), "--key", str(key)]
        result = subprocess.run(argv, capture_output=True, text=True, timeout=20)
        return result.stdout.strip() or "000", headers.read(), body.read()


def _resumes(pki):
    """Whether a second openssl s_client connection resumes the first one's session."""
    with tempfile.NamedTemporaryFile() as session:
        _s_client(pki, ["-sess_out", session.name])
        second = _s_client(pki, ["-sess_in", session.name])
    return "Reused, TLSv1.3" in second


def _s_client(pki, extra):
    request = f"GET {PATH} HTTP/1.1\r\nHost: localhost\r\nOcp-Apim-Subscription-Key: {SUBSCRIPTION_KEY}\r\nConnection: close\r\n\r\n"
    argv = ["openssl", "s_client", "-connect", f"127.0.0.1:{Ports.listen}", "-servername", "localhost",
            "-tls1_3", "-CAfile", str(pki.ca), "-cert", str(pki.client_cert), "-key", str(pki.client_key),
            "-ign_eof", *extra]
    result = subprocess.run(argv, input=request, capture_output=True, text=True, timeout=20)
    return result.stdout
