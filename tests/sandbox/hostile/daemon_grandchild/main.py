"""Hostile: leave a daemonised grandchild behind that would write forever, then exit successfully."""
import os
import time

if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        while True:
            with open("/work/daemon.log", "a") as handle:
                handle.write("still here\n")
            time.sleep(0.2)
    os._exit(0)
print("parent done")
