"""Inside the install container: a TCP port on the container's own loopback that leads to the grader's gateway.

The install container has no network at all (network mode none); its only way out is a Unix socket of the
grader's gateway, bind-mounted from the host. pip speaks TCP, so this script, copied into the container and
started before pip, listens on 127.0.0.1 and passes every connection on to that socket. It uses the standard
library only and runs with `python3 -I -S`, so nothing the group installs can change it. A group that kills or
replaces it only loses its own way to the index: the gateway decides what is reachable, not this script.

`relay` is also the gateway's own byte pump (grader/sandbox/gateway.py).
"""

from __future__ import annotations

import contextlib
import os
import selectors
import socket
import sys
import threading

CHUNK = 256 * 1024
#: Seconds a connection may stay silent in both directions before it is dropped.
IDLE_S = 300.0


def relay(a: socket.socket, b: socket.socket, idle: float = IDLE_S) -> None:
    """Pump bytes both ways until both sides have finished sending (or one fails, or both stay silent)."""
    peers = {a: b, b: a}
    reading = {a, b}
    for sock in peers:
        sock.settimeout(idle)
    with selectors.DefaultSelector() as selector:
        for sock in peers:
            selector.register(sock, selectors.EVENT_READ)
        while reading:
            ready = selector.select(idle)
            if not ready:
                return
            for key, _ in ready:
                source = key.fileobj
                assert isinstance(source, socket.socket)
                target = peers[source]
                try:
                    data = source.recv(CHUNK)
                except OSError:
                    return
                if not data:
                    # Half-close: the other direction may still carry the rest of a response.
                    selector.unregister(source)
                    reading.discard(source)
                    with contextlib.suppress(OSError):
                        target.shutdown(socket.SHUT_WR)
                    continue
                try:
                    target.sendall(data)
                except OSError:
                    return


def _serve_one(client: socket.socket, gate: str) -> None:
    with client, socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as upstream:
        try:
            upstream.connect(gate)
        except OSError:
            return
        relay(client, upstream)


def serve(host: str, port: int, gate: str, *, daemon: bool = True) -> None:
    """Listen on host:port and pass each connection to the Unix socket `gate`; with `daemon`, return to the
    caller's shell once listening (the listening child serves until the container ends)."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((host, port))
    listener.listen(64)
    # Forked only once listening, so pip, started right after, never finds the port closed.
    if daemon and os.fork() != 0:
        os._exit(0)
    while True:
        client, _ = listener.accept()
        threading.Thread(target=_serve_one, args=(client, gate), daemon=True).start()


if __name__ == "__main__":
    serve(sys.argv[1], int(sys.argv[2]), sys.argv[3])
