"""The guarded outbound client against real HTTP servers on 127.0.0.1.

Nothing here sends a packet anywhere but loopback: refused addresses must be refused before any
connection, and that is what `no_connections` asserts (it fails the test on any connect()). Names that
resolve elsewhere are made up and resolved by a patched socket.getaddrinfo, the resolver outbound uses."""

import datetime as dt
import ipaddress
import socket
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from slotwise.core import outbound
from slotwise.core.outbound import OutboundError, OutboundRefused, OutboundTooLarge


class Server:
    """A local server whose handler is a function (handler, server) -> None; records each request."""

    def __init__(self, respond, *, tls_context=None):
        self.requests = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _any(self):
                length = int(self.headers.get("Content-Length") or 0)
                server.requests.append(
                    {
                        "method": self.command,
                        "path": self.path,
                        "headers": dict(self.headers),
                        "body": self.rfile.read(length),
                    }
                )
                try:
                    respond(self)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            do_GET = do_POST = do_PUT = do_PROPFIND = do_HEAD = _any

            def log_message(self, *a):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        if tls_context is not None:
            self.httpd.socket = tls_context.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_port
        self.url = f"http://127.0.0.1:{self.port}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def answer(status=200, body=b"hello", headers=None):
    def respond(h):
        h.send_response(status)
        for k, v in (headers or {}).items():
            h.send_header(k, v)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        if h.command != "HEAD":
            h.wfile.write(body)

    return respond


@pytest.fixture
def serve():
    servers = []

    def start(respond, **kw):
        servers.append(Server(respond, **kw))
        return servers[-1]

    yield start
    for s in servers:
        s.close()


@pytest.fixture
def connects(monkeypatch):
    """Every address a socket connects to, in order. Connections outside loopback are refused locally."""
    seen = []
    real = socket.socket.connect

    def connect(self, address):
        seen.append(address[0])
        if not ipaddress.ip_address(address[0]).is_loopback:
            raise ConnectionRefusedError(111, "test: no traffic outside 127.0.0.0/8")
        return real(self, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    return seen


@pytest.fixture
def resolver(monkeypatch):
    """Made-up names: resolver.names[name] = [address, ...] (one per lookup; the last one repeats)."""
    real = socket.getaddrinfo

    class Resolver:
        names: dict[str, list[str]] = {}
        lookups: list[str] = []

    def getaddrinfo(host, port, *args, **kw):
        if host in Resolver.names:
            Resolver.lookups.append(host)
            answers = Resolver.names[host]
            address = answers.pop(0) if len(answers) > 1 else answers[0]
            family = socket.AF_INET6 if ":" in address else socket.AF_INET
            return [(family, socket.SOCK_STREAM, 6, "", (address, port or 0))]
        return real(host, port, *args, **kw)

    Resolver.names, Resolver.lookups = {}, []
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return Resolver


REFUSED = [
    ("169.254.169.254", "link-local"),  # cloud metadata
    ("10.0.0.1", "private"),
    ("192.168.1.1", "private"),
    ("172.16.0.1", "private"),
    ("100.64.0.1", "not public"),  # carrier-grade NAT, shared address space
    ("0.0.0.0", "unspecified"),
    ("224.0.0.1", "multicast"),
    ("240.0.0.1", "reserved"),
    ("::ffff:10.0.0.1", "private address written as IPv6"),
    ("::ffff:169.254.169.254", "link-local"),
    ("fe80::1", "link-local"),
    ("fc00::1", "private"),
    ("::", "unspecified"),
]


def _url(address, path="/"):
    host = f"[{address}]" if ":" in address else address
    return f"https://{host}{path}"


# ---- the address policy ----------------------------------------------------------------------------------


def test_loopback_is_allowed_in_development_and_refused_when_loopback_is_off(serve, settings):
    server = serve(answer(body=b"pong"))
    settings.OUTBOUND_ALLOW_LOOPBACK = True
    resp = outbound.request("GET", server.url + "/ping", purpose="Test")
    assert (resp.status_code, resp.content, resp.text) == (200, b"pong", "pong")

    settings.OUTBOUND_ALLOW_LOOPBACK = False
    with pytest.raises(OutboundRefused) as refused:
        outbound.request("GET", server.url + "/ping", purpose="Webhook")
    assert refused.value.message.startswith(
        "Webhook: 127.0.0.1 is a loopback address; Slotwise connects only to public addresses"
    )
    assert "SLOTWISE_OUTBOUND_ALLOW_LOOPBACK" in refused.value.message
    assert len(server.requests) == 1  # only the first, allowed one


def test_loopback_is_refused_by_default_in_production():
    import os
    import subprocess
    import sys

    code = "from django.conf import settings; print(settings.OUTBOUND_ALLOW_LOOPBACK)"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "slotwise.config.settings",
        "SLOTWISE_ENV": "production",
        "SLOTWISE_SECRET_KEY": "x" * 50,
    }
    env.pop("SLOTWISE_OUTBOUND_ALLOW_LOOPBACK", None)
    out = subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); " + code],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == "False"
    env["SLOTWISE_OUTBOUND_ALLOW_LOOPBACK"] = "1"
    out = subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); " + code],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == "True"


@pytest.mark.parametrize(("address", "kind"), REFUSED, ids=[a for a, _ in REFUSED])
def test_internal_addresses_are_refused_without_a_connection_attempt(address, kind, connects, settings):
    settings.OUTBOUND_ALLOW_LOOPBACK = True  # even in development: only loopback is ever allowed
    with pytest.raises(OutboundRefused) as refused:
        outbound.request("POST", _url(address, "/latest/meta-data/"), purpose="Webhook", json={"a": 1})
    assert f"Webhook: {address} is " in refused.value.message
    assert kind in refused.value.message
    assert connects == []


def test_ipv4_mapped_loopback_follows_the_loopback_setting(serve, settings, connects):
    settings.OUTBOUND_ALLOW_LOOPBACK = False
    with pytest.raises(OutboundRefused, match="loopback address"):
        outbound.request("GET", "http://[::ffff:127.0.0.1]:1/", purpose="Test")
    assert connects == []


def test_a_name_that_resolves_to_a_private_address_is_refused(resolver, connects):
    resolver.names["intranet.example.com"] = ["10.0.0.1"]
    with pytest.raises(OutboundRefused) as refused:
        outbound.request("GET", "https://intranet.example.com/admin", purpose="Calendar feed")
    assert refused.value.message.startswith(
        "Calendar feed: intranet.example.com resolves to 10.0.0.1, a private address; Slotwise connects only"
    )
    assert connects == []


def test_a_name_with_one_private_address_among_public_ones_is_refused(monkeypatch, connects):
    def getaddrinfo(host, port, *a, **kw):
        return [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.215.14", port)),
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("169.254.169.254", port)),
        ]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    with pytest.raises(OutboundRefused, match="resolves to 169.254.169.254, a link-local address"):
        outbound.request("GET", "https://mixed.example.com/", purpose="Test")
    assert connects == []


def test_dns_rebinding_connects_to_the_address_resolved_first(resolver, connects):
    """The name is looked up once; the connection goes to that answer, not to a second lookup's."""
    resolver.names["rebind.example.com"] = ["93.184.215.14", "127.0.0.1"]
    with pytest.raises(OutboundError, match="could not reach the server at rebind.example.com"):
        outbound.request("GET", "http://rebind.example.com:8080/", purpose="Test")
    assert resolver.lookups == ["rebind.example.com"]
    assert connects == ["93.184.215.14"]


def test_dns_rebinding_after_the_check_does_not_change_where_we_connect(serve, resolver, settings):
    """Pinned to 127.0.0.1 (allowed here); a later lookup would say 10.0.0.1, but none is made. The
    server sees the name in the Host header."""
    settings.OUTBOUND_ALLOW_LOOPBACK = True
    server = serve(answer(body=b"ok"))
    resolver.names["rebind.example.com"] = ["127.0.0.1", "10.0.0.1"]
    resp = outbound.request("GET", f"http://rebind.example.com:{server.port}/x", purpose="Test")
    assert resp.content == b"ok"
    assert resolver.lookups == ["rebind.example.com"]
    assert server.requests[0]["headers"]["Host"] == f"rebind.example.com:{server.port}"


# ---- redirects -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "location",
    [
        "http://169.254.169.254/latest/meta-data/iam/",
        "http://10.0.0.1/",
        "http://[::ffff:192.168.0.1]/",
        "http://intranet.example.com/",
    ],
)
def test_a_redirect_from_an_allowed_server_to_a_refused_address_is_not_followed(
    serve, settings, connects, resolver, location
):
    settings.OUTBOUND_ALLOW_LOOPBACK = True
    resolver.names["intranet.example.com"] = ["192.168.10.5"]
    server = serve(answer(302, b"", {"Location": location}))
    with pytest.raises(OutboundRefused, match="never into this server's network"):
        outbound.request("GET", server.url + "/start", purpose="Calendar feed")
    assert len(server.requests) == 1
    assert all(ipaddress.ip_address(a).is_loopback for a in connects)


def test_a_redirect_to_loopback_is_refused_when_loopback_is_off(serve, settings):
    """Only loopback can serve the first hop in this sandbox, so the server turns loopback off while it
    answers: the hop it redirects to (another loopback server) is then checked and refused."""
    settings.OUTBOUND_ALLOW_LOOPBACK = True
    inner = serve(answer(body=b"redis-like internal answer"))

    def respond(h):
        settings.OUTBOUND_ALLOW_LOOPBACK = False
        answer(302, b"", {"Location": f"http://127.0.0.1:{inner.port}/"})(h)

    server = serve(respond)
    with pytest.raises(OutboundRefused, match="127.0.0.1 is a loopback address"):
        outbound.request("GET", server.url + "/", purpose="Test")
    assert inner.requests == []


def test_redirects_are_followed_up_to_five_hops_each_checked(serve, settings):
    settings.OUTBOUND_ALLOW_LOOPBACK = True
    hops = []

    def respond(h):
        n = int(h.path.strip("/") or 0)
        hops.append(n)
        answer(302, b"", {"Location": f"/{n + 1}"})(h) if n < 10 else answer()(h)

    server = serve(respond)
    resp = outbound.request("GET", server.url + "/5", purpose="Test")
    assert (resp.status_code, hops, len(resp.history)) == (200, [5, 6, 7, 8, 9, 10], 5)
    with pytest.raises(OutboundError, match="more than 5 redirects"):
        outbound.request("GET", server.url + "/0", purpose="Test")


def test_a_redirect_keeps_propfind_and_its_body_but_303_becomes_a_get(serve, settings):
    settings.OUTBOUND_ALLOW_LOOPBACK = True

    def respond(h):
        if h.path == "/dav-root/":
            answer(207, b"<multistatus/>")(h)
        elif h.path == "/see-other":
            answer(303, b"", {"Location": "/dav-root/"})(h)
        else:
            answer(301, b"", {"Location": "/dav-root/"})(h)

    server = serve(respond)
    outbound.request("PROPFIND", server.url + "/.well-known/caldav", purpose="CalDAV", data=b"<propfind/>")
    outbound.request("POST", server.url + "/see-other", purpose="Test", data=b"x=1")
    assert [(r["method"], r["path"], r["body"]) for r in server.requests] == [
        ("PROPFIND", "/.well-known/caldav", b"<propfind/>"),
        ("PROPFIND", "/dav-root/", b"<propfind/>"),
        ("POST", "/see-other", b"x=1"),
        ("GET", "/dav-root/", b""),
    ]


def test_credentials_are_not_sent_to_another_host_after_a_redirect(serve, settings, resolver):
    settings.OUTBOUND_ALLOW_LOOPBACK = True
    other = serve(answer())
    resolver.names["elsewhere.example.com"] = ["127.0.0.1"]
    first = serve(answer(307, b"", {"Location": f"http://elsewhere.example.com:{other.port}/"}))
    outbound.request("GET", first.url + "/", purpose="Test", auth=("user", "secret"))
    assert first.requests[0]["headers"]["Authorization"].startswith("Basic ")
    assert "Authorization" not in other.requests[0]["headers"]


def test_follow_redirects_false_returns_the_redirect_itself(serve, settings):
    settings.OUTBOUND_ALLOW_LOOPBACK = True
    target = serve(answer())
    server = serve(answer(308, b"moved", {"Location": target.url + "/"}))
    resp = outbound.request("POST", server.url + "/hook", purpose="Webhook", data=b"{}", follow_redirects=False)
    assert (resp.status_code, resp.headers["Location"]) == (308, target.url + "/")
    assert target.requests == []


# ---- size and time ---------------------------------------------------------------------------------------


def endless(h):
    """Chunked, never ends on its own: the client has to stop reading."""
    h.send_response(200)
    h.send_header("Transfer-Encoding", "chunked")
    h.end_headers()
    block = b"x" * 8192
    for _ in range(100_000):
        h.wfile.write(b"%x\r\n%s\r\n" % (len(block), block))


def test_an_answer_larger_than_the_cap_is_stopped_not_read_to_the_end(serve, settings):
    settings.OUTBOUND_ALLOW_LOOPBACK = True
    server = serve(endless)
    started = time.monotonic()
    with pytest.raises(OutboundTooLarge, match="the answer from 127.0.0.1 is larger than 100 KB"):
        outbound.request("GET", server.url + "/", purpose="Calendar feed", max_bytes=100 * 1024, timeout=5)
    assert time.monotonic() - started < 2
    resp = outbound.request("GET", server.url + "/", purpose="Webhook", max_bytes=500, truncate=True, timeout=5)
    assert resp.content == b"x" * 500


def test_the_time_cap_covers_the_whole_answer_not_each_read(serve, settings):
    """A server that sends a byte every 0.1 s never trips a per-read timeout; the total cap stops it."""
    settings.OUTBOUND_ALLOW_LOOPBACK = True

    def drip(h):
        h.send_response(200)
        h.send_header("Content-Length", "100")
        h.end_headers()
        for _ in range(100):
            h.wfile.write(b"x")
            h.wfile.flush()
            time.sleep(0.1)

    server = serve(drip)
    started = time.monotonic()
    with pytest.raises(OutboundError, match="timed out after 0.5 s"):
        outbound.request("GET", server.url + "/", purpose="Test", timeout=0.5)
    assert 0.45 < time.monotonic() - started < 1.0


def test_a_server_that_never_answers_is_given_up_after_the_timeout(serve, settings):
    settings.OUTBOUND_ALLOW_LOOPBACK = True
    server = serve(lambda h: time.sleep(3))
    started = time.monotonic()
    with pytest.raises(OutboundError, match="could not reach the server at 127.0.0.1: timed out"):
        outbound.request("GET", server.url + "/", purpose="Test", timeout=0.3)
    assert time.monotonic() - started < 0.8


# ---- TLS: connect to the pinned address, verify the certificate for the name ------------------------------


@pytest.fixture
def tls(tmp_path, monkeypatch):
    """A test CA (trusted through SSL_CERT_FILE) and a server certificate for `name`."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    def name(cn):
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])

    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(name("Slotwise test CA"))
        .issuer_name(name("Slotwise test CA"))
        .public_key(ca_key.public_key())
        .serial_number(1)
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    (tmp_path / "ca.pem").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "ca.pem"))

    def context_for(host):
        key = ec.generate_private_key(ec.SECP256R1())
        cert = (
            x509.CertificateBuilder()
            .subject_name(name(host))
            .issuer_name(ca.subject)
            .public_key(key.public_key())
            .serial_number(2)
            .not_valid_before(now - dt.timedelta(hours=1))
            .not_valid_after(now + dt.timedelta(hours=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
            .sign(ca_key, hashes.SHA256())
        )
        (tmp_path / "cert.pem").write_bytes(
            cert.public_bytes(serialization.Encoding.PEM)
            + key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(tmp_path / "cert.pem")
        return ctx

    return context_for


def test_https_connects_to_the_pinned_address_and_verifies_the_certificate_for_the_name(serve, tls, resolver, settings):
    settings.OUTBOUND_ALLOW_LOOPBACK = True
    server = serve(answer(body=b"secure"), tls_context=tls("calendar.example.com"))
    resolver.names["calendar.example.com"] = ["127.0.0.1"]
    resp = outbound.request("GET", f"https://calendar.example.com:{server.port}/feed.ics", purpose="Calendar feed")
    assert resp.content == b"secure"
    assert server.requests[0]["headers"]["Host"] == f"calendar.example.com:{server.port}"

    resolver.names["impostor.example.com"] = ["127.0.0.1"]
    with pytest.raises(OutboundError, match="the TLS certificate of impostor.example.com is not valid for it"):
        outbound.request("GET", f"https://impostor.example.com:{server.port}/", purpose="Calendar feed")


# ---- creation-time check ---------------------------------------------------------------------------------


def test_check_url_names_the_refused_address_and_the_field(resolver, connects):
    resolver.names["hooks.internal.example"] = ["172.20.0.3"]
    with pytest.raises(OutboundRefused) as refused:
        outbound.check_url(" https://hooks.internal.example/in ", purpose="Webhook URL", field="url")
    assert refused.value.status == 400 and refused.value.field == "url"
    assert refused.value.message.startswith("Webhook URL: hooks.internal.example resolves to 172.20.0.3, a private")
    # a name that does not resolve (yet) is accepted now and checked again when used
    assert outbound.check_url("https://not-yet.invalid/hook", purpose="Webhook URL") == "https://not-yet.invalid/hook"
    assert connects == []
