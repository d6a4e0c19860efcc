"""Hostile: reach the outside world; exits 0 only when every attempt fails."""
import socket
import sys

reached = []
for host, port in (("1.1.1.1", 53), ("8.8.8.8", 443), ("172.17.0.1", 2375)):
    try:
        socket.create_connection((host, port), timeout=2).close()
        reached.append(f"{host}:{port}")
    except OSError as exc:
        print("blocked", host, port, type(exc).__name__)
try:
    print("resolved", socket.getaddrinfo("pypi.org", 443))
    reached.append("dns")
except OSError as exc:
    print("dns blocked", type(exc).__name__)
print("reached:", reached)
sys.exit(1 if reached else 0)
