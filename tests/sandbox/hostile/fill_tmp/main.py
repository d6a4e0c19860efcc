"""Hostile: fill /tmp; exits 0 when the tmpfs cap stops it (ENOSPC) well before 64 MB."""
import errno
import sys

written = 0
try:
    with open("/tmp/filler", "wb") as handle:
        while written < 256 * 1024 * 1024:
            handle.write(b"\0" * 1024 * 1024)
            handle.flush()
            written += 1024 * 1024
except OSError as exc:
    print("stopped after", written, "bytes:", errno.errorcode.get(exc.errno, exc.errno))
    sys.exit(0 if exc.errno == errno.ENOSPC and written < 64 * 1024 * 1024 else 1)
print("wrote", written, "bytes unhindered")
sys.exit(1)
