#!/bin/sh
# Shared last step of both base image paths (Dockerfile and debootstrap): the non-root user `grader`
# (uid 1000), the group's virtual environment /opt/venv (pip only; the install phase adds the group's packages)
# and the grader's own tools apart from it (see requirements-base.txt for the three sections).
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
# One section of the requirements file (the lines after `# [NAME]` up to the next section marker).
section() {
    awk -v want="# [$1]" '/^# \[[a-z]+\]$/ { on = ($0 == want); next } on && !/^#/ && NF' "$requirements" \
        > "/tmp/grader-$1.txt"
}
pip_flags="--no-cache-dir --disable-pip-version-check --no-input"
"$python" -m venv /opt/grader-tools
section tools
/opt/grader-tools/bin/pip install $pip_flags "$@" -r /tmp/grader-tools.txt
section kernel
/opt/grader-tools/bin/pip install $pip_flags "$@" --target /opt/grader-kernel -r /tmp/grader-kernel.txt
section pytest
/opt/grader-tools/bin/pip install $pip_flags "$@" --target /opt/grader-pytest -r /tmp/grader-pytest.txt
rm -f /tmp/grader-tools.txt /tmp/grader-kernel.txt /tmp/grader-pytest.txt
# The group's environment: pip (and the setuptools Python 3.11 bundles) and nothing of the grader's.
"$python" -m venv /opt/venv
# The install phase runs as `grader`, never as root: it owns /opt/venv so that pip can add the group's packages.
# The tools stay root's, so nothing the group's setup.py does while installing can change them.
chown -R 1000:1000 /opt/venv
chmod -R a+rX,go-w /opt/grader-tools /opt/grader-kernel /opt/grader-pytest
mkdir -p /work /out
chown 1000:1000 /work /out
# The tools keep the bytecode pip compiled (run steps cannot write it: the root is read-only there).
find /opt/venv -name __pycache__ -prune -exec rm -rf {} +
