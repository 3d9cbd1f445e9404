"""The self-test's bookkeeping: a check's result, the collector that prints each one, the network guard."""

from __future__ import annotations

import contextlib
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class Check:
    name: str
    status: str  # "PASS", "FAIL" or "SKIP"
    detail: str

    @property
    def line(self) -> str:
        return f"{self.status} {self.name}: {self.detail}"


class Checks:
    """Collects check results and prints each as it is decided."""

    def __init__(self, emit: Callable[[str], None]):
        self.emit, self.results = emit, []

    @contextlib.contextmanager
    def check(self, name: str) -> Iterator[list[str]]:
        """Run a block as one check; it passes unless it raises. Append the detail to the yielded list."""
        detail: list[str] = []
        start = time.perf_counter()
        try:
            yield detail
        except Exception as exc:  # a self-test reports every failure and goes on
            reason = (str(exc).strip().splitlines() or [""])[0][:300]
            self.add(Check(name, "FAIL", f"{type(exc).__name__}: {reason}"))
            return
        self.add(Check(name, "PASS", f"{'; '.join(detail)} ({time.perf_counter() - start:.2f} s)"))

    def add(self, check: Check) -> None:
        self.results.append(check)
        self.emit(check.line)


class NetworkGuard:
    """Refuses, and counts, every attempt to resolve a host or connect an IP socket."""

    def __init__(self):
        self.attempts: list[str] = []

    def __enter__(self) -> NetworkGuard:
        self._saved = (socket.socket.connect, socket.socket.connect_ex, socket.getaddrinfo, socket.create_connection)
        guard, connect, connect_ex = self, socket.socket.connect, socket.socket.connect_ex

        def refuse(what: str):
            guard.attempts.append(what)
            raise OSError(f"CardioView self-test: network access refused ({what})")

        def guarded_connect(sock, address):
            if sock.family in (socket.AF_INET, socket.AF_INET6):
                refuse(f"connect {sock.family.name}")
            return connect(sock, address)

        def guarded_connect_ex(sock, address):
            if sock.family in (socket.AF_INET, socket.AF_INET6):
                refuse(f"connect_ex {sock.family.name}")
            return connect_ex(sock, address)

        socket.socket.connect, socket.socket.connect_ex = guarded_connect, guarded_connect_ex
        socket.getaddrinfo = lambda *a, **k: refuse("getaddrinfo")
        socket.create_connection = lambda *a, **k: refuse("create_connection")
        return self

    def __exit__(self, *exc) -> None:
        socket.socket.connect, socket.socket.connect_ex, socket.getaddrinfo, socket.create_connection = self._saved
