"""The upstream and the three servers under test, each configured for the same job.

The job: TLS 1.3 on 127.0.0.1 with the same ECDSA P-256 server certificate; request a
client certificate without requiring a trusted chain; admit only the client certificate
whose SHA-1 thumbprint is listed (403 otherwise); forward GET /bench/plain to the upstream
over pooled keep-alive HTTP/1.1 connections. One worker pinned to CPU 0, session resumption
(tickets and cache) off, no per-request logging.
"""

import json
import pathlib
import shutil
import ssl
import urllib.request

from . import procs

SERVER_CPU = 0
HELPER_CPU = 1
SUBSCRIPTION_KEY = "bench-subscription-key-0123456789abcdef"
PATH = "/bench/plain"


class Ports:
    """Loopback ports of this run, chosen free at start so a colleague's server on a fixed
    port cannot collide with the benchmark (the servers under test take turns on `listen`)."""

    listen = admin = upstream = 0

    @classmethod
    def choose(cls):
        import socket

        sockets = [socket.socket() for _ in range(3)]
        try:
            for s in sockets:
                s.bind(("127.0.0.1", 0))
            cls.listen, cls.admin, cls.upstream = (s.getsockname()[1] for s in sockets)
        finally:
            for s in sockets:
                s.close()


def url():
    """The URL every client calls."""
    return f"https://localhost:{Ports.listen}{PATH}"

ARTICLE_POLICY = (
    "<policies><inbound><base /><choose><when condition=\"@(context.Request.Certificate == null || "
    "context.Request.Certificate.Thumbprint != \"{thumbprint}\")\"><return-response>"
    "<set-status code=\"403\" reason=\"Invalid client certificate\" /></return-response></when>"
    "</choose></inbound><backend><base /></backend><outbound><base /></outbound>"
    "<on-error><base /></on-error></policies>"
)


def _nginx_common(workdir):
    temp = " ".join(
        f"{kind}_temp_path {workdir}/{kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return f"""
worker_processes 1;
daemon off;
pid {workdir}/nginx.pid;
error_log {workdir}/error.log warn;
worker_rlimit_nofile 20000;
events {{ worker_connections 16000; }}
http {{
  access_log off;
  default_type text/plain;
  keepalive_requests 10000000;
  keepalive_timeout 300s;
  {temp}
"""


def start_upstream(processes, workdir):
    """nginx answering 200 "ok" to any path, on CPU 1."""
    workdir.mkdir(parents=True, exist_ok=True)
    config = _nginx_common(workdir) + f"""
  server {{
    listen 127.0.0.1:{Ports.upstream} reuseport;
    location / {{ add_header X-Bench-Upstream yes always; return 200 "ok\\n"; }}
  }}
}}
"""
    conf = workdir / "nginx.conf"
    conf.write_text(config)
    proc = processes.start("upstream", ["nginx", "-e", f"{workdir}/error.log", "-p", str(workdir), "-c", str(conf)], HELPER_CPU, workdir / "stdout.log")
    procs.wait_for_port(Ports.upstream, proc)
    return proc


class Server:
    """A server under test: started with a fresh working directory, then configured."""

    name = ""
    #: Seconds a server may take to start listening.
    start_timeout = 30.0

    def __init__(self, pki, workdir, binaries):
        self.pki = pki
        self.workdir = pathlib.Path(workdir) / self.name
        self.binaries = binaries

    def start(self, processes):
        """Starts the server with a fresh working directory and waits until it listens."""
        shutil.rmtree(self.workdir, ignore_errors=True)
        self.workdir.mkdir(parents=True)
        proc = self._start(processes)
        procs.wait_for_port(Ports.listen, proc, self.start_timeout)
        self._configure()
        return proc

    def _configure(self):
        pass


class Nginx(Server):
    name = "nginx"

    def _start(self, processes):
        w, p = self.workdir, self.pki
        config = _nginx_common(w) + f"""
  upstream backend {{
    server 127.0.0.1:{Ports.upstream};
    keepalive 64;
    keepalive_requests 10000000;
    keepalive_timeout 300s;
  }}
  map $ssl_client_fingerprint $client_allowed {{
    default 0;
    {p.thumbprint.lower()} 1;
  }}
  server {{
    listen 127.0.0.1:{Ports.listen} ssl http2;
    ssl_certificate {p.server_cert};
    ssl_certificate_key {p.server_key};
    ssl_protocols TLSv1.3;
    ssl_verify_client optional_no_ca;
    ssl_session_tickets off;
    ssl_session_cache off;
    location / {{
      if ($client_allowed = 0) {{ return 403; }}
      proxy_pass http://backend;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }}
  }}
}}
"""
        (w / "nginx.conf").write_text(config)
        argv = ["nginx", "-e", f"{w}/error.log", "-p", str(w), "-c", str(w / "nginx.conf")]
        return processes.start(self.name, argv, SERVER_CPU, w / "stdout.log")



class Haproxy(Server):
    name = "haproxy"
    #: Debian's haproxy cannot raise its descriptor limit for more (reference/peers.md).
    MAXCONN = 8000

    def _start(self, processes):
        w, p = self.workdir, self.pki
        config = f"""
global
  nbthread 1
  maxconn {self.MAXCONN}
  tune.ssl.cachesize 0
defaults
  mode http
  timeout connect 5s
  timeout client 60s
  timeout server 60s
  timeout http-request 60s
  timeout http-keep-alive 300s
frontend fe
  bind 127.0.0.1:{Ports.listen} ssl crt {p.server_combined} ca-file {p.hint_ca} verify optional ca-ignore-err all crt-ignore-err all alpn h2,http/1.1 ssl-min-ver TLSv1.3 no-tls-tickets
  acl allowed ssl_c_sha1,hex -m str {p.thumbprint.upper()}
  http-request deny deny_status 403 unless allowed
  default_backend be
backend be
  http-reuse always
  server upstream 127.0.0.1:{Ports.upstream}
"""
        (w / "haproxy.cfg").write_text(config)
        argv = ["haproxy", "-db", "-f", str(w / "haproxy.cfg")]
        return processes.start(self.name, argv, SERVER_CPU, w / "stdout.log")



class Gatehouse(Server):
    name = "gatehouse"
    #: GATEHOUSE_LOG: warn keeps the per-request info line off, as the peers log nothing.
    log_level = "warn"
    #: Seconds a management API call may take.
    admin_timeout = 10.0

    def _start(self, processes):
        w, p = self.workdir, self.pki
        # The bench server certificate, placed before the first start, is kept by provisioning.
        (w / "data/tls").mkdir(parents=True)
        shutil.copy(p.server_cert, w / "data/tls/server.pem")
        shutil.copy(p.server_key, w / "data/tls/server-key.pem")
        proc = self.launch(processes)
        procs.wait_for_port(Ports.admin, proc, self.start_timeout)
        return proc

    def launch(self, processes):
        """Starts Gatehouse on the data directory as it is, without waiting for it."""
        w = self.workdir
        argv = [
            str(self.binaries["gatehouse"]), "serve", "--data-dir", str(w / "data"),
            "--gateway-addr", f"127.0.0.1:{Ports.listen}", "--admin-addr", f"127.0.0.1:{Ports.admin}",
            "--worker-threads", "1", "--disable-tls-resumption",
        ]
        env = {"GATEHOUSE_LOG": self.log_level}
        return processes.start(self.name, argv, SERVER_CPU, w / "stdout.log", env)

    def _configure(self):
        """Through the management API: the API, its operation, the policy, a subscription."""
        api = {"displayName": "Bench", "path": "bench", "serviceUrl": f"http://127.0.0.1:{Ports.upstream}",
               "protocols": ["https"], "subscriptionRequired": True}
        operation = {"displayName": "Plain", "method": "GET", "urlTemplate": "/plain"}
        policy = {"format": "rawxml", "value": ARTICLE_POLICY.format(thumbprint=self.pki.thumbprint)}
        subscription = {"scope": "/apis/bench", "displayName": "Bench", "state": "active",
                        "allowTracing": False, "primaryKey": SUBSCRIPTION_KEY}
        for path, properties in [
            ("/apis/bench", api),
            ("/apis/bench/operations/plain", operation),
            ("/apis/bench/policies/policy", policy),
            ("/subscriptions/bench", subscription),
        ]:
            self._admin_put(path, {"properties": properties})

    def _admin_put(self, path, body):
        token = (self.workdir / "data/admin-token").read_text().strip()
        context = ssl.create_default_context(cafile=str(self.pki.ca))
        request = urllib.request.Request(
            f"https://localhost:{Ports.admin}{path}", data=json.dumps(body).encode(), method="PUT",
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, context=context, timeout=self.admin_timeout) as response:
                response.read()
        except urllib.error.HTTPError as error:
            raise RuntimeError(f"management API refused PUT {path}: {error.code} {error.read().decode(errors='replace')}") from None



KINDS = {"gatehouse": Gatehouse, "nginx": Nginx, "haproxy": Haproxy}
