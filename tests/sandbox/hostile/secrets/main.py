"""Hostile: look for the Docker socket, the shadow file and tokens; prints whatever it finds."""
import os
import sys

found = []
for path in ("/var/run/docker.sock", "/run/docker.sock", "/etc/shadow"):
    try:
        with open(path, "rb") as handle:
            handle.read(100)
        found.append(path)
    except OSError as exc:
        print("no access", path, type(exc).__name__)
for key, value in sorted(os.environ.items()):
    print(f"{key}={value}")
sys.exit(1 if found else 0)
