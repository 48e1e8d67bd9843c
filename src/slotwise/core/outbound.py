"""The one way Slotwise talks to other servers: webhooks, rule actions, calendar feeds, CalDAV, Google, Zoom.

A URL that a user typed can point anywhere, including into the network this server runs in (Redis,
PostgreSQL, the cloud metadata service at 169.254.169.254). So every request here:

- resolves the host name once, refuses the request if any address it resolves to is not public
  (loopback, private, link-local, multicast, reserved, unspecified, shared, or an IPv4-mapped IPv6 form of
  those), and connects to that same address, so a second, different DNS answer (rebinding) is never used.
  The Host header, TLS SNI and certificate verification use the name;
- follows redirects itself (at most 5), checking every hop the same way; callers that must not be
  redirected (webhooks) pass follow_redirects=False and get the 3xx back;
- reads at most `max_bytes` of the answer and gives up after `timeout` seconds in all (connect, send,
  every read), not per read.

Loopback is allowed only when settings.OUTBOUND_ALLOW_LOOPBACK is true (SLOTWISE_OUTBOUND_ALLOW_LOOPBACK;
on by default in development and tests, off in production). Private ranges are refused always.

Built on http.client so that the socket is ours: we choose the address, and we can shorten the socket's
timeout before every read to what is left of the total.
"""

from __future__ import annotations

import base64
import http.client
import ipaddress
import json as jsonlib
import logging
import os
import socket
import ssl
import time
from dataclasses import dataclass, field
from datetime import timedelta
from email.message import Message
from urllib.parse import quote, urlencode, urljoin, urlsplit

from django.conf import settings

from .errors import InvalidInput, SlotwiseError

log = logging.getLogger(__name__)

MAX_REDIRECTS = 5
DEFAULT_TIMEOUT = 10.0
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
REDIRECTS = (301, 302, 303, 307, 308)
CHUNK = 65536


class OutboundRefused(InvalidInput):
    """The URL points at an address Slotwise does not connect to; no request was sent."""


class OutboundError(SlotwiseError):
    """The request was allowed but failed: no answer, a broken answer, too big, too slow."""

    status = 502
    title = "Bad Gateway"


class OutboundTooLarge(OutboundError):
    pass


@dataclass
class OutboundResponse:
    status_code: int
    reason: str
    headers: Message
    content: bytes
    url: str
    elapsed: timedelta
    history: list[OutboundResponse] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return 200 <= self.status_code < 300

    @property
    def encoding(self) -> str:
        return self.headers.get_content_charset() or "utf-8"

    @property
    def text(self) -> str:
        try:
            return self.content.decode(self.encoding, errors="replace")
        except LookupError:  # a charset Python does not know
            return self.content.decode("utf-8", errors="replace")

    def json(self):
        return jsonlib.loads(self.content)


# ---- the address policy -----------------------------------------------------------------------------


def allow_loopback() -> bool:
    return bool(getattr(settings, "OUTBOUND_ALLOW_LOOPBACK", False))


def _why_refused(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    """None for a public address; otherwise what kind of address it is, for the message."""
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if embedded is not None:
            why = _why_refused(embedded)
            return f"{why} written as IPv6" if why else None
    if ip.is_loopback:
        return None if allow_loopback() else "a loopback address"
    if ip.is_unspecified:
        return "an unspecified address"
    if ip.is_link_local:
        return "a link-local address (where cloud metadata services live)"
    if ip.is_multicast:
        return "a multicast address"
    if ip.is_reserved:
        return "a reserved address"
    if ip.is_private:
        return "a private address"
    if not ip.is_global:
        return "an address that is not public"
    return None


def _refusal(purpose: str, host: str, ip, why: str) -> OutboundRefused:
    try:
        ipaddress.ip_address(host)
        where = f"{host} is"
    except ValueError:
        where = f"{host} resolves to {ip},"
    hint = ""
    if "loopback" in why:
        hint = " (loopback is allowed only in development, with SLOTWISE_OUTBOUND_ALLOW_LOOPBACK=1)"
    return OutboundRefused(
        f"{purpose}: {where} {why}; Slotwise connects only to public addresses, never into this server's network{hint}"
    )


def _resolve(purpose: str, host: str, port: int) -> list:
    """Every address the name resolves to, as getaddrinfo gives them (an IP literal resolves to itself)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise OutboundError(f"{purpose}: the host name {host!r} does not resolve; check the address") from None
    if not infos:
        raise OutboundError(f"{purpose}: the host name {host!r} does not resolve; check the address")
    return infos


@dataclass(frozen=True)
class _Target:
    scheme: str
    host: str  # as sent in Host and SNI (IDNA-encoded, no brackets)
    port: int
    path: str  # path and query, as sent in the request line
    family: int
    address: str  # the one address we connect to

    @property
    def host_header(self) -> str:
        name = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.scheme == "https" else 80
        return name if self.port == default else f"{name}:{self.port}"


def _split(purpose: str, url: str) -> tuple[str, str, int, str, str, str]:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise OutboundRefused(f"{purpose}: {url!r} is not a valid URL") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        raise OutboundRefused(f"{purpose}: {url!r} is not an http(s) URL")
    try:
        host = parts.hostname.encode("idna").decode("ascii")
    except UnicodeError:
        raise OutboundRefused(f"{purpose}: {parts.hostname!r} is not a valid host name") from None
    port = port or (443 if scheme == "https" else 80)
    # Be lenient like browsers: quote what must be quoted, keep what is already quoted.
    path = quote(parts.path or "/", safe="/%:@!$&'()*+,;=-._~")
    if parts.query:
        path += "?" + quote(parts.query, safe="/%:@!$&'()*+,;=-._~?")
    return scheme, host, port, path, parts.username or "", parts.password or ""


def _target(purpose: str, url: str) -> _Target:
    scheme, host, port, path, _, _ = _split(purpose, url)
    infos = _resolve(purpose, host, port)
    for _family, _, _, _, sockaddr in infos:
        ip = ipaddress.ip_address(sockaddr[0].split("%", 1)[0])
        why = _why_refused(ip)
        if why:
            log.warning("outbound %s: refused %s (%s): %s", purpose, host, ip, why)
            raise _refusal(purpose, host, ip, why)
    family, _, _, _, sockaddr = infos[0]
    return _Target(scheme, host, port, path, family, sockaddr[0])


def check_url(url: str, *, purpose: str, field: str | None = None) -> str:
    """For forms and APIs that store a URL to call later: refuse now, with a 4xx that names the address.
    Returns the URL stripped. The same check runs again when the request is sent.

    A name that does not resolve (yet) is accepted: DNS may be set up after the subscription, and the
    request is refused then if it resolves to an address we do not connect to."""
    url = (url or "").strip()
    try:
        _target(purpose, url)
    except OutboundRefused as exc:
        raise OutboundRefused(exc.message, field=field) from None
    except OutboundError:
        pass
    return url


# ---- sending ----------------------------------------------------------------------------------------


def _tls_context() -> ssl.SSLContext:
    # The same trust store as before this module (requests used certifi), unless the operator points us
    # at their own bundle.
    cafile = os.environ.get("SSL_CERT_FILE") or os.environ.get("REQUESTS_CA_BUNDLE")
    if not cafile:
        try:
            import certifi

            cafile = certifi.where()
        except ImportError:
            cafile = None
    return ssl.create_default_context(cafile=cafile)


class _PinnedHTTPS(http.client.HTTPConnection):
    """HTTPS to a fixed address, with SNI and certificate checks for the name."""

    default_port = 443

    def __init__(self, address: str, port: int, *, server_name: str, timeout: float):
        super().__init__(address, port, timeout=timeout)
        self._server_name = server_name

    def connect(self) -> None:
        super().connect()
        self.sock = _tls_context().wrap_socket(self.sock, server_hostname=self._server_name)


class _Deadline:
    def __init__(self, seconds: float):
        self.seconds = seconds
        self.at = time.monotonic() + seconds

    def left(self) -> float:
        left = self.at - time.monotonic()
        if left <= 0:
            raise TimeoutError
        return left


def _limit_text(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):g} MB"
    if n >= 1024:
        return f"{n / 1024:g} KB"
    return f"{n} bytes"


def _once(
    purpose: str,
    method: str,
    url: str,
    target: _Target,
    body: bytes | None,
    headers: dict,
    deadline: _Deadline,
    max_bytes: int,
    truncate: bool,
) -> OutboundResponse:
    started = time.monotonic()
    conn = None
    try:
        if target.scheme == "https":
            conn = _PinnedHTTPS(target.address, target.port, server_name=target.host, timeout=deadline.left())
        else:
            conn = http.client.HTTPConnection(target.address, target.port, timeout=deadline.left())
        conn.request(method, target.path, body=body, headers={"Host": target.host_header, **headers})
        # Kept: getresponse() drops conn.sock when the server closes after the answer, but the answer is
        # still read from this socket, and every read may wait only for what is left of the total.
        sock = conn.sock
        sock.settimeout(deadline.left())
        resp = conn.getresponse()
        chunks, size = [], 0
        while True:
            sock.settimeout(deadline.left())
            chunk = resp.read1(CHUNK)
            if not chunk:
                break
            size += len(chunk)
            if size > max_bytes:
                if truncate:
                    chunks.append(chunk[: max_bytes - (size - len(chunk))])
                    break
                raise OutboundTooLarge(
                    f"{purpose}: the answer from {target.host} is larger than {_limit_text(max_bytes)}"
                )
            chunks.append(chunk)
        return OutboundResponse(
            status_code=resp.status,
            reason=resp.reason,
            headers=resp.headers,
            content=b"".join(chunks),
            url=url,
            elapsed=timedelta(seconds=time.monotonic() - started),
        )
    except TimeoutError:
        raise OutboundError(
            f"{purpose}: could not reach the server at {target.host}: timed out after {deadline.seconds:g} s "
            "without a complete answer"
        ) from None
    except ssl.SSLCertVerificationError as exc:
        raise OutboundError(
            f"{purpose}: the TLS certificate of {target.host} is not valid for it ({exc.verify_message})"
        ) from None
    except ssl.SSLError as exc:
        raise OutboundError(f"{purpose}: TLS with {target.host} failed ({exc.reason or exc})") from None
    except http.client.HTTPException as exc:
        raise OutboundError(
            f"{purpose}: {target.host} sent something that is not an HTTP answer ({exc.__class__.__name__})"
        ) from None
    except ConnectionRefusedError:
        raise OutboundError(f"{purpose}: could not reach the server at {target.host}: connection refused") from None
    except OSError as exc:
        reason = exc.strerror or exc.__class__.__name__
        raise OutboundError(f"{purpose}: could not reach the server at {target.host}: {reason}") from None
    finally:
        if conn is not None:
            conn.close()


def _body(data, json, headers: dict) -> bytes | None:
    if json is not None:
        headers.setdefault("Content-Type", "application/json")
        return jsonlib.dumps(json).encode()
    if data is None:
        return None
    if isinstance(data, dict | list | tuple):
        headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
        return urlencode(data, doseq=True).encode()
    return data.encode() if isinstance(data, str) else bytes(data)


def _with_params(url: str, params) -> str:
    if not params:
        return url
    items = params.items() if isinstance(params, dict) else params
    query = urlencode([(k, v) for k, v in items if v is not None], doseq=True)
    return url + ("&" if "?" in url else "?") + query if query else url


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode("ascii")


def request(
    method: str,
    url: str,
    *,
    purpose: str,
    headers: dict | None = None,
    params=None,
    data=None,
    json=None,
    auth: tuple[str, str] | None = None,
    timeout: float | None = None,
    max_bytes: int | None = None,
    follow_redirects: bool = True,
    truncate: bool = False,
) -> OutboundResponse:
    """Send one request under the policy above. `purpose` names the request for people ("Webhook",
    "Calendar feed"): it starts every error message. `timeout` is for the whole exchange, redirects
    included. Past `max_bytes` the answer is an OutboundTooLarge error, or with truncate=True cut there.
    Raises OutboundRefused (nothing was sent) or OutboundError."""
    method = method.upper()
    headers = {"User-Agent": "Slotwise/1", "Accept": "*/*", "Connection": "close", **(headers or {})}
    body = _body(data, json, headers)
    url = _with_params(url, params)
    _, _, _, _, user, password = _split(purpose, url)
    if auth is None and user:
        auth = (user, password)
    if auth is not None:
        headers["Authorization"] = _basic(*auth)
    deadline = _Deadline(float(timeout if timeout is not None else DEFAULT_TIMEOUT))
    max_bytes = int(max_bytes if max_bytes is not None else DEFAULT_MAX_BYTES)
    history: list[OutboundResponse] = []
    first = None
    for _ in range(MAX_REDIRECTS + 1):
        target = _target(purpose, url)
        first = first or target
        if target.host != first.host or (first.scheme == "https" and target.scheme == "http"):
            # Credentials were given for the first server, not for wherever it sends us (the rule requests
            # follows: another host name, or a downgrade to plain http).
            headers = {k: v for k, v in headers.items() if k.lower() not in ("authorization", "cookie")}
        resp = _once(purpose, method, url, target, body, headers, deadline, max_bytes, truncate)
        location = resp.headers.get("Location")
        if resp.status_code not in REDIRECTS or not location or not follow_redirects:
            resp.history = history
            return resp
        history.append(resp)
        url = urljoin(url, location)
        if resp.status_code == 303 or (resp.status_code in (301, 302) and method == "POST"):
            # What every client does; other methods (PROPFIND, REPORT, PUT) keep their body on 301/302.
            method = "GET" if method != "HEAD" else method
            body = None
            headers = {k: v for k, v in headers.items() if k.lower() not in ("content-type", "content-length")}
    raise OutboundError(f"{purpose}: more than {MAX_REDIRECTS} redirects, last to {urlsplit(url).hostname}")
