"""Diagnosis of failed pip installs from real pip logs (pip 23-25 wording)."""

from __future__ import annotations

import pytest

from grader.sandbox.diagnose import diagnose_pip
from grader.sandbox.environments import InstallPlan

NO_PACKAGE = """\
ERROR: Could not find a version that satisfies the requirement torchh==2.0 (from versions: none)
ERROR: No matching distribution found for torchh==2.0
"""
NO_VERSION = """\
Collecting six==99.0 (from -r requirements.txt (line 1))
ERROR: Could not find a version that satisfies the requirement six==99.0 (from versions: 0.9.0, 1.0.0, 1.15.0, \
1.16.0, 1.17.0)
ERROR: No matching distribution found for six==99.0
"""
IGNORED_PYTHON = """\
ERROR: Ignored the following versions that require a different python version: 1.21.2 Requires-Python >=3.7,<3.11
ERROR: Could not find a version that satisfies the requirement numpy==1.21.2 (from versions: 1.26.4, 2.0.0)
ERROR: No matching distribution found for numpy==1.21.2
"""
REQUIRES_PYTHON = "ERROR: Package 'oldpy' requires a different Python: 3.11.2 not in '<3.9'\n"
SETUP_FAILS = """\
Processing /tmp/src
  Preparing metadata (setup.py): started
  error: subprocess-exited-with-error

  × python setup.py egg_info did not run successfully.
  │ exit code: 1
  ╰─> [1 lines of output]
      boom from setup.py
      [end of output]
error: metadata-generation-failed
"""
WHEEL_FAILS = """\
Collecting pyaudio==0.2.11
  Building wheel for pyaudio (pyproject.toml): finished with status 'error'
  src/_portaudiomodule.c:29:10: fatal error: portaudio.h: No such file or directory
  ERROR: Failed building wheel for pyaudio
Failed to build pyaudio
ERROR: Could not build wheels for pyaudio, which is required to install pyproject.toml-based projects
"""
SSL = """\
WARNING: Retrying (Retry(total=4, connect=None, read=None, redirect=None, status=None)) after connection broken by \
'SSLError(SSLCertVerificationError(1, '[SSL: CERTIFICATE_VERIFY_FAILED] self-signed certificate'))': /simple/six/
ERROR: Could not find a version that satisfies the requirement six (from versions: none)
ERROR: No matching distribution found for six
"""
CONFLICT = """\
ERROR: Cannot install numpy==1.26.4 and scipy==1.15.0 because these package versions have conflicting dependencies.
ERROR: ResolutionImpossible: for help visit https://pip.pypa.io/en/latest/topics/dependency-resolution/
"""
INVALID = "ERROR: Invalid requirement: 'numpy=1.2': Expected end or semicolon (after name and no valid version)\n"


@pytest.mark.parametrize(
    ("log", "reason", "requirement"),
    [
        (NO_PACKAGE, "no-such-package", "torchh==2.0"),
        (NO_VERSION, "no-such-version", "six==99.0"),
        (IGNORED_PYTHON, "python-version-mismatch", "numpy==1.21.2"),
        (REQUIRES_PYTHON, "python-version-mismatch", "oldpy"),
        (WHEEL_FAILS, "build-failure", "pyaudio"),
        (SSL, "index-unreachable", "six"),
        (CONFLICT, "dependency-conflict", "numpy==1.26.4 and scipy==1.15.0"),
        (INVALID, "invalid-requirement", "numpy=1.2"),
        ("Killed\n", "install-failed", ""),
    ],
)
def test_reason_and_requirement(log: str, reason: str, requirement: str) -> None:
    found = diagnose_pip(log)
    assert found.failure_reason == reason
    assert found.failed_requirement == requirement
    assert found.explanation


def test_the_groups_own_project_is_named_by_its_file() -> None:
    plan = InstallPlan("setup", sources=("setup.py",), pip_installs=((".",),))
    found = diagnose_pip(SETUP_FAILS, plan)
    assert found.failure_reason == "build-failure"
    assert found.failed_requirement == "the project (setup.py)"
    assert "/tmp/src" not in found.explanation


def test_available_versions_are_listed_newest_last() -> None:
    assert "1.17.0" in diagnose_pip(NO_VERSION).explanation


OLD_PIN = """\
Collecting bottleneck==1.3.1.*
  Downloading http://127.0.0.1:3128/files/3cb2a91e15d3a2f2f6936ff1/Bottleneck-1.3.1.tar.gz (88 kB)
  Installing build dependencies: started
  Installing build dependencies: finished with status 'error'
            RuntimeError: Broken toolchain: cannot link a simple C program
error: subprocess-exited-with-error

× pip subprocess to install build dependencies did not run successfully.
│ exit code: 1
"""
OLD_PIN_HEADER = """\
Collecting PyAudio==0.2.11
  Downloading PyAudio-0.2.11.tar.gz (37 kB)
  src/_portaudiomodule.c:29:10: fatal error: portaudio.h: No such file or directory
  ERROR: Failed building wheel for PyAudio
Failed to build PyAudio
"""


@pytest.mark.parametrize(
    ("log", "requirement", "why"),
    [(OLD_PIN, "Bottleneck==1.3.1", "C compiler"), (OLD_PIN_HEADER, "PyAudio==0.2.11", "portaudio.h")],
    ids=["needs-a-compiler", "needs-a-header"],
)
def test_a_pin_built_from_source_is_named_with_its_version(log: str, requirement: str, why: str) -> None:
    found = diagnose_pip(log, python="3.11")
    assert found.failure_reason == "no-wheel-for-python"
    assert found.failed_requirement == requirement
    assert "no wheel for Python 3.11 on Linux" in found.explanation and why in found.explanation


def test_a_full_disk_is_the_graders() -> None:
    log = "ERROR: Could not install packages due to an OSError: [Errno 28] No space left on device\n"
    assert diagnose_pip(log).failure_reason == "host-disk-full"


#: A package whose setup.py refuses to install and says why in a banner under a bare `Exception:` (pip 23's legacy
#: install path, as PyPI's `tensorflow-gpu` does since it was retired).
RETIRED_PACKAGE = """\
Collecting mdurl~=0.1
  Downloading mdurl-0.1.2-py3-none-any.whl (10.0 kB)
Installing collected packages: tqdm, retired-gpu, mdurl
  Running setup.py install for retired-gpu: started
  Running setup.py install for retired-gpu: finished with status 'error'
  error: subprocess-exited-with-error

  × Running setup.py install for retired-gpu did not run successfully.
  │ exit code: 1
  ╰─> [12 lines of output]
      Traceback (most recent call last):
        File "<string>", line 2, in <module>
          raise Exception(REMOVAL_WARNING)
      Exception:

      =========================================================
      The "retired-gpu" package has been removed!

      Please install "retired" instead.
      =========================================================
      [end of output]

  note: This error originates from a subprocess, and is likely not a problem with pip.
error: legacy-install-failure

× Encountered error while trying to install package.
╰─> retired-gpu
"""


def test_a_package_that_refuses_to_install_is_named_with_what_it_says() -> None:
    found = diagnose_pip(RETIRED_PACKAGE)
    assert (found.failure_reason, found.failed_requirement) == ("install-failed", "retired-gpu")
    assert 'The "retired-gpu" package has been removed! Please install "retired" instead.' in found.explanation
    assert "mdurl" not in found.explanation


#: An old pin built from source the legacy way (setup.py install) fails for want of a compiler: still an old pin.
OLD_PIN_LEGACY = """\
Collecting numpy==1.18.1
  Downloading http://127.0.0.1:3128/files/3cb2a91e15d3a2f2f6936ff1/numpy-1.18.1.zip (5.4 MB)
  Running setup.py install for numpy: started
  error: subprocess-exited-with-error

  \u00d7 Running setup.py install for numpy did not run successfully.
  \u2502 exit code: 1
  \u2570\u2500> [40 lines of output]
      RuntimeError: Broken toolchain: cannot link a simple C program
      [end of output]
"""


def test_an_old_pin_installed_the_legacy_way_is_still_an_old_pin() -> None:
    found = diagnose_pip(OLD_PIN_LEGACY, python="3.11")
    assert (found.failure_reason, found.failed_requirement) == ("no-wheel-for-python", "numpy==1.18.1")
    assert "needs a C compiler" in found.explanation


@pytest.mark.parametrize(("log", "requirement", "said"), [
    # pip's own words for a conda `pip freeze` line (`numpy @ file:///home/conda/...`), as the sandbox logged them.
    ("Processing /home/conda/feedstock_root/build_artifacts/numpy_1668919081525/work\nERROR: Could not install "
     "packages due to an OSError: [Errno 2] No such file or directory: "
     "'/home/conda/feedstock_root/build_artifacts/numpy_1668919081525/work'\n",
     "numpy", "`numpy @ file:///home/conda/feedstock_root/build_artifacts/numpy_1668919081525/work` points at a "
     "file of the machine the environment was frozen on, which no other machine has"),
    ("Processing /croot/certifi_1671487769961/work/certifi\nERROR: Could not install packages due to an OSError: "
     "[Errno 2] No such file or directory: '/croot/certifi_1671487769961/work/certifi'\n",
     "certifi", "`certifi @ file:///croot/certifi_1671487769961/work/certifi`"),
    ("ERROR: /home/ada/projects/kws does not appear to be a Python project: neither 'setup.py' nor "
     "'pyproject.toml' found.\n", "/home/ada/projects/kws", "the path /home/ada/projects/kws points at a file of"),
])
def test_a_path_of_the_authors_machine_is_named_with_the_line_to_write(log: str, requirement: str, said: str) -> None:
    """Before, a conda freeze's `file://` lines failed the install as 'pip failed (see the log's tail)'."""
    found = diagnose_pip(log)
    assert (found.failure_reason, found.failed_requirement) == ("local-path", requirement)
    assert said in found.explanation


def test_the_sandbox_s_own_copy_of_the_project_is_not_a_path_of_the_authors_machine() -> None:
    log = "ERROR: Could not install packages due to an OSError: [Errno 2] No such file or directory: '/tmp/src/x'\n"
    assert diagnose_pip(log).failure_reason != "local-path"
