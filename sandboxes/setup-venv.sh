#!/bin/sh
# Shared last step of both base image paths (Dockerfile and debootstrap): the non-root user `grader`
# (uid 1000) and the virtual environment /opt/venv holding the grader's own tools.
# Usage: setup-venv.sh PYTHON REQUIREMENTS [pip options...]
# Debian's python is "externally managed" (PEP 668), so nothing is installed into the system interpreter.
set -eu
python=$1
requirements=$2
shift 2
if ! getent passwd grader >/dev/null; then
    groupadd --gid 1000 grader
    useradd --uid 1000 --gid 1000 --home-dir /home/grader --create-home --shell /bin/sh grader
fi
"$python" -m venv /opt/venv
/opt/venv/bin/pip install --no-cache-dir --disable-pip-version-check --no-input "$@" -r "$requirements"
# The kernel the notebooks run on is the venv's interpreter, registered system-wide under /opt/venv.
/opt/venv/bin/python -m ipykernel install --prefix /opt/venv --name python3 --display-name "Python 3"
# The install phase runs as `grader`, never as root: it owns the venv so that pip can add the group's packages.
chown -R 1000:1000 /opt/venv
mkdir -p /work /out
chown 1000:1000 /work /out
find /opt/venv -name __pycache__ -prune -exec rm -rf {} +
# ipykernel install leaves its staging folder behind.
rm -rf /tmp/tmp*_kernels
