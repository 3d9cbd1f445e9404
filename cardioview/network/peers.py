"""Who may talk to the listener, and over what: the calling-AE/host allow list, TLS, a guarded server.

- :class:`PeerRule` / :func:`peer_allowed`: ``--allow AE[@HOST]`` entries; no entry admits any peer.
- :func:`server_tls_context`: TLS 1.2+ with our certificate; with a CA, clients must present a certificate it signed.
- :class:`GuardedServer`: pynetdicom's threaded server, but every accepted connection gets the network timeout
  before anything is read (a peer that sends a PDU header claiming 4 GB and then nothing is dropped when it
  expires), and the TLS handshake runs in the connection's own thread under that timeout, so a silent or
  plain-TCP client cannot hold up the accept loop.
"""

from __future__ import annotations

import argparse
import logging
import socket
import ssl
from dataclasses import dataclass

from pynetdicom.transport import ThreadedAssociationServer

from cardioview.errors import CardioViewError
from cardioview.network.nodes import AE_TITLE

log = logging.getLogger("cardioview.listen")


def check_ae_title(title: str, what: str = "AE title") -> str:
    """The title stripped, or CardioViewError naming what is wrong with it (DICOM: 1-16 characters)."""
    stripped = title.strip()
    if not stripped:
        raise CardioViewError(f"{what} is empty")
    if len(stripped) > 16:
        raise CardioViewError(f"{what} {stripped!r} is {len(stripped)} characters long; DICOM allows at most 16")
    if not AE_TITLE.match(stripped) or "\\" in stripped:
        raise CardioViewError(f"{what} {stripped!r} may hold printable ASCII characters only, without a backslash")
    return stripped


def ae_title_argument(text: str) -> str:
    """argparse type for ``--ae-title``: a bad title is a plain usage error, never a traceback."""
    try:
        return check_ae_title(text)
    except CardioViewError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


@dataclass(frozen=True)
class PeerRule:
    """One ``--allow`` entry: a calling AE title, optionally bound to one host address."""

    ae_title: str
    host: str = ""

    @classmethod
    def parse(cls, text: str) -> PeerRule:
        """``AE`` or ``AE@HOST`` (HOST an IP address or a name, resolved now)."""
        title, _, host = text.partition("@")
        title = check_ae_title(title, "--allow AE title")
        if not host:
            return cls(title)
        try:
            address = socket.getaddrinfo(host, None)[0][4][0]
        except socket.gaierror as exc:
            raise CardioViewError(f"--allow {text}: cannot resolve host {host!r} ({exc.strerror})") from None
        return cls(title, address)

    def admits(self, calling_ae: str, address: str) -> bool:
        return calling_ae.strip() == self.ae_title and (not self.host or _same_host(self.host, address))

    def __str__(self) -> str:
        return f"{self.ae_title}@{self.host}" if self.host else self.ae_title


def _same_host(rule_host: str, address: str) -> bool:
    # an IPv4 peer on a dual-stack socket arrives as ::ffff:a.b.c.d
    return address == rule_host or address.removeprefix("::ffff:") == rule_host


def peer_allowed(rules: tuple[PeerRule, ...], calling_ae: str, address: str) -> bool:
    """True when no rule is set or one of them admits this calling AE from this address."""
    return not rules or any(rule.admits(calling_ae, address) for rule in rules)


def server_tls_context(cert: str, key: str, ca: str | None = None) -> ssl.SSLContext:
    """A server-side TLS context; with ``ca`` every client must present a certificate signed by it.

    Raises:
        CardioViewError: a file is missing or unreadable, or the key does not match the certificate.
    """
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        context.load_cert_chain(certfile=cert, keyfile=key)
        if ca:
            context.load_verify_locations(cafile=ca)
            context.verify_mode = ssl.CERT_REQUIRED
    except (OSError, ssl.SSLError) as exc:
        raise CardioViewError(
            f"TLS set-up failed ({cert}, {key}{', ' + ca if ca else ''}): {getattr(exc, 'strerror', None) or exc}"
        ) from None
    return context


class GuardedServer(ThreadedAssociationServer):
    """A threaded association server that times out silent peers and handshakes TLS off the accept loop."""

    def get_request(self):
        client, address = self.socket.accept()
        client.settimeout(self.ae.network_timeout)
        return client, address

    def process_request_thread(self, request, client_address) -> None:
        if self.ssl_context is not None:
            try:
                request = self.ssl_context.wrap_socket(request, server_side=True)
            except (OSError, ssl.SSLError) as exc:  # plain TCP, untrusted certificate, silence
                log.warning("TLS handshake with %s failed: %s", client_address[0], getattr(exc, "reason", "") or exc)
                _close(request)
                return
        super().process_request_thread(request, client_address)


def _close(sock: socket.socket) -> None:
    try:
        sock.close()
    except OSError:
        pass
