"""The README step: the README's commands run in order in one container; the fake engine for its logic, the real
Docker Engine for what the commands really do (cd, activate, export, downloads, training runs, data, failures)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from grader.checks.run import RunReadmeCheck
from grader.files import SubmissionTree
from grader.models import Status, Submission
from grader.outcomes import ReadmeCommandRun, ReadmeRunResult, RunOutcome, StepOutcome, StepStatus
from grader.sandbox.engine import Engine
from grader.sandbox.policy import SandboxPolicy
from grader.sandbox.readme import readme_step
from grader.sandbox.steps import StepRunner
from tests.harness import MakeTree, run_on
from tests.sandbox.fake_engine import Call, FakeEngine, Ran

README = """\
# Keyword spotting

## Setup
```bash
python -m venv .venv
source .venv/bin/activate
pip install -r requirements.txt
export GREETING=hello
wget https://example.org/speech_commands.tar.gz
```

## Usage
```bash
cd src
python hello.py
python train.py --epochs 50
python evaluate.py --data ../data/speech_commands
python broken.py
python hello.py
```
"""
FILES: dict[str, str | bytes] = {
    "README.md": README,
    "requirements.txt": "",
    ".gitignore": "data/\n",
    "src/hello.py": (
        "import os\nprint('greeting:', os.environ.get('GREETING'), 'venv:', os.environ.get('VIRTUAL_ENV'))\n"
        "open('written.txt', 'w').write('by hello')\n"
    ),
    "src/train.py": "import time\nfor epoch in range(1000):\n    print('epoch', epoch, flush=True)\n"
                    "    time.sleep(1)\n",
    "src/evaluate.py": "print('evaluating')\n",
    "src/broken.py": "print('loading')\nimport not_installed_anywhere\n",
}
POLICY = SandboxPolicy(timeout=120, memory="512m", pids=128, tmpfs_size="64m", readme_timeout=30,
                       readme_brief_timeout=5)


def outcomes(step: StepOutcome) -> list[tuple[str, str]]:
    assert isinstance(step.detail, ReadmeRunResult)
    return [(c.text, c.outcome) for c in step.detail.commands]


def record(step: StepOutcome, text: str) -> ReadmeCommandRun:
    assert isinstance(step.detail, ReadmeRunResult)
    return next(c for c in step.detail.commands if c.text == text)


# -- the step's logic, with the fake engine --------------------------------------------------------------------------


def scripted(answers: Mapping[str, Mapping[str, Any]], seen: list[dict[str, Any]]) -> Any:
    """A README driver that answers each command it is given as `answers` says (passed when not named)."""

    def behaviour(call: Call) -> Ran:
        request = call.request()
        seen.append(request)
        entries = []
        for command in request["commands"]:
            if command["mode"] == "variable":
                continue
            entry = {"index": command["index"], "outcome": "passed", "exit_code": 0, "duration_s": 0.5,
                     "output": "ok\n", **answers.get(command["text"], {})}
            entries.append(entry)
            if entry["outcome"] == "failed":
                break
        call.answer({"commands": entries, "complete": True})
        return Ran()

    return behaviour


def fake_step(make_tree: MakeTree, tmp_path: Path, behaviour: Any, files: Mapping[str, str | bytes] = FILES,
              policy: SandboxPolicy = POLICY) -> StepOutcome:
    root = make_tree(dict(files))
    scratch = tmp_path / "scratch"
    scratch.mkdir(parents=True)
    runner = StepRunner(FakeEngine(behaviour, images=["img"]), "img", policy, "test-readme", root, scratch)
    return readme_step(runner, SubmissionTree(root))


def test_the_driver_gets_the_runnable_commands_and_variables_in_order(make_tree: MakeTree, tmp_path: Path) -> None:
    seen: list[dict[str, Any]] = []
    step = fake_step(make_tree, tmp_path, scripted({}, seen))
    (request,) = seen
    assert [(c["text"], c["cwd"], c["mode"]) for c in request["commands"]] == [
        ("export GREETING=hello", ".", "variable"),
        ("python hello.py", "src", "run"),
        ("python train.py --epochs 50", "src", "brief"),
        ("python broken.py", "src", "run"),
        ("python hello.py", "src", "run"),
    ]
    assert (request["limit_s"], request["brief_s"], request["output_cap"]) == (30, 5, POLICY.output_limit)
    assert request["commands"][1]["where"] == "README.md:15"
    assert step.status is StepStatus.PASSED
    assert outcomes(step) == [
        ("python -m venv .venv", "skipped"), ("source .venv/bin/activate", "followed"),
        ("pip install -r requirements.txt", "skipped"), ("export GREETING=hello", "followed"),
        ("wget https://example.org/speech_commands.tar.gz", "reported"), ("cd src", "followed"),
        ("python hello.py", "passed"), ("python train.py --epochs 50", "passed"),
        ("python evaluate.py --data ../data/speech_commands", "needs-data"), ("python broken.py", "passed"),
        ("python hello.py", "passed"),
    ]
    # Missing data is named from the checkout's root, as the other steps name it, with the README's advice.
    assert record(step, "python evaluate.py --data ../data/speech_commands").missing_data == ("data/speech_commands",)
    assert step.needs_data is not None and step.needs_data.missing == ("data/speech_commands",)
    assert step.needs_data.readme_help is not None and "wget" in step.needs_data.readme_help


def test_the_first_failure_ends_the_run_and_the_rest_say_why(make_tree: MakeTree, tmp_path: Path) -> None:
    failing = {"python broken.py": {"outcome": "failed", "exit_code": 1, "note": "exited with 1",
                                    "output": "Traceback (most recent call last):\nModuleNotFoundError: x\n"}}
    step = fake_step(make_tree, tmp_path, scripted(failing, []))
    assert step.status is StepStatus.FAILED
    broken = record(step, "python broken.py")
    assert (broken.outcome, broken.exit_code, broken.reason) == ("failed", 1, "exited with 1")
    assert broken.output_tail.endswith("ModuleNotFoundError: x\n")
    last = step.detail.commands[-1] if isinstance(step.detail, ReadmeRunResult) else None
    assert last is not None and (last.outcome, last.reason) == ("not-run", "not run: an earlier command failed "
                                                                "(README.md:18)")
    result = run_on(RunReadmeCheck, make_tree({"train.py": ""}), run=RunOutcome("img", "plain", (step,)))
    assert result.status is Status.FAILED
    assert result.summary.startswith("`python broken.py` (README.md:18) fails, after 2 README command(s) worked: "
                                     "ModuleNotFoundError: x")


def test_a_failure_only_for_missing_data_goes_on_and_makes_the_step_needs_data(
    make_tree: MakeTree, tmp_path: Path
) -> None:
    data = {"python train.py --epochs 50": {"outcome": "needs-data", "exit_code": 1, "missing": ["src/x/a.wav"],
                                            "output": "FileNotFoundError: x/a.wav"}}
    step = fake_step(make_tree, tmp_path, scripted(data, []))
    assert step.status is StepStatus.NEEDS_DATA
    assert record(step, "python hello.py").outcome == "passed"
    assert step.needs_data is not None and step.needs_data.missing == ("src/x/a.wav", "data/speech_commands")


def test_at_most_max_readme_commands_run(make_tree: MakeTree, tmp_path: Path) -> None:
    seen: list[dict[str, Any]] = []
    step = fake_step(make_tree, tmp_path, scripted({}, seen), policy=POLICY.model_copy(
        update={"max_readme_commands": 2}))
    assert [c["text"] for c in seen[0]["commands"] if c["mode"] != "variable"] == [
        "python hello.py", "python train.py --epochs 50"]
    assert record(step, "python broken.py").reason == ("not run: at most 2 README commands run "
                                                       "(sandbox.max_readme_commands)")


def test_a_result_the_driver_did_not_sign_fails_the_step(make_tree: MakeTree, tmp_path: Path) -> None:
    def forger(call: Call) -> Ran:
        call.answer({"commands": [{"index": 6, "outcome": "passed"}], "complete": True}, key="not-the-key")
        return Ran()

    step = fake_step(make_tree, tmp_path, forger)
    assert step.status is StepStatus.FAILED and step.rejected
    assert record(step, "python hello.py").outcome == "not-run"
    assert record(step, "python hello.py").reason.startswith("not run: the README step's result was not accepted (")
    result = run_on(RunReadmeCheck, make_tree({"train.py": ""}), run=RunOutcome("img", "plain", (step,)))
    assert result.status is Status.FAILED and "not accepted" in result.summary


def test_entries_of_the_wrong_shape_are_ignored(make_tree: MakeTree, tmp_path: Path) -> None:
    def odd(call: Call) -> Ran:
        call.answer({"commands": [None, {"index": "6"}, {"index": 6, "outcome": "exploded"}, {"index": 99,
                     "outcome": "passed"}, {"index": 6, "outcome": "passed", "exit_code": True, "duration_s": "x",
                     "output": 3, "missing": ["/etc/passwd", "../up", 5]}], "complete": True})
        return Ran()

    step = fake_step(make_tree, tmp_path, odd)
    hello = record(step, "python hello.py")
    assert (hello.outcome, hello.exit_code, hello.duration_s, hello.output_tail, hello.missing_data) == (
        "passed", None, 0.0, "", ())


def test_a_readme_whose_commands_all_need_what_the_sandbox_lacks_is_skipped_with_its_counts(
    make_tree: MakeTree, tmp_path: Path
) -> None:
    readme = "# P\n\n```bash\npip install -r requirements.txt\nwget https://x.org/d.zip\nnvidia-smi\n```\n"
    step = fake_step(make_tree, tmp_path, scripted({}, []), files={"README.md": readme})
    assert step.status is StepStatus.SKIPPED
    assert step.reason == "no README command runs in the sandbox; its commands: 1 GPU-only, 1 download, 1 install " \
        "(the build did it)"
    assert outcomes(step) == [("pip install -r requirements.txt", "skipped"), ("wget https://x.org/d.zip", "reported"),
                              ("nvidia-smi", "reported")]
    assert fake_step(make_tree, tmp_path / "b", scripted({}, []), files={"a.py": ""}).reason == \
        "the README gives no commands"


# -- what the commands really do, with the real engine ---------------------------------------------------------------


def real_step(engine: Engine, image: str, root: Path, tmp_path: Path, policy: SandboxPolicy = POLICY) -> StepOutcome:
    scratch = tmp_path / "scratch"
    scratch.mkdir(parents=True, exist_ok=True)
    return readme_step(StepRunner(engine, image, policy, "test-readme", root, scratch), SubmissionTree(root))


@pytest.mark.docker
@pytest.mark.usefixtures("no_leftovers")
def test_the_readme_runs_as_its_reader_would_up_to_the_first_failure(
    engine: Engine, base_image: str, make_tree: MakeTree, tmp_path: Path
) -> None:
    root = make_tree(FILES)
    step = real_step(engine, base_image, root, tmp_path)
    assert step.status is StepStatus.FAILED, step
    assert outcomes(step) == [
        ("python -m venv .venv", "skipped"), ("source .venv/bin/activate", "followed"),
        ("pip install -r requirements.txt", "skipped"), ("export GREETING=hello", "followed"),
        ("wget https://example.org/speech_commands.tar.gz", "reported"), ("cd src", "followed"),
        ("python hello.py", "passed"), ("python train.py --epochs 50", "started"),
        ("python evaluate.py --data ../data/speech_commands", "needs-data"), ("python broken.py", "failed"),
        ("python hello.py", "not-run"),
    ]
    hello = record(step, "python hello.py")
    # cd followed, the exported variable seen, the activated environment is the build's.
    assert (hello.cwd, hello.exit_code) == ("src", 0)
    assert "greeting: hello venv: /opt/venv" in hello.output_tail
    train = record(step, "python train.py --epochs 50")
    assert train.exit_code is None and 4.5 <= train.duration_s < 15 and "epoch 1" in train.output_tail
    assert train.reason == "still running after 5 s without an error: started cleanly"
    broken = record(step, "python broken.py")
    assert (broken.exit_code, broken.reason) == (1, "exited with 1")
    assert "loading" in broken.output_tail and broken.output_tail.rstrip().endswith(
        "ModuleNotFoundError: No module named 'not_installed_anywhere'")
    # The step's log is a transcript that ends with the failing command and its output.
    assert "$ python broken.py    [README.md:18, in src/]" in step.stdout_tail
    assert step.stdout_tail.rstrip().endswith(f"-> failed: exited with 1 ({broken.duration_s:.1f} s)")
    assert not (root / "src" / "written.txt").exists()  # the grader's copy is never written


@pytest.mark.docker
@pytest.mark.usefixtures("no_leftovers")
def test_commands_share_one_working_copy_and_missing_data_found_at_runtime_is_no_failure(
    engine: Engine, base_image: str, make_tree: MakeTree, tmp_path: Path
) -> None:
    readme = ("# P\n\n```bash\npython prepare.py\npython features.py\ncat prepared.txt\nnpm start\n"
              "python ask.py\npython loud.py\n```\n")
    root = make_tree({
        "README.md": readme,
        "prepare.py": "open('prepared.txt', 'w').write('prepared by an earlier command')\n",
        "features.py": "with open('dataset/clips/001.wav', 'rb') as clip:\n    clip.read()\n",
        "ask.py": "name = input('file to classify: ')\n",
        "loud.py": "import sys\nwhile True:\n    sys.stdout.write('x' * 65536)\n",
    })
    step = real_step(engine, base_image, root, tmp_path, POLICY.model_copy(update={"output_limit": 200_000}))
    assert outcomes(step) == [("python prepare.py", "passed"), ("python features.py", "needs-data"),
                              ("cat prepared.txt", "passed"), ("npm start", "unavailable"),
                              ("python ask.py", "started"), ("python loud.py", "failed")]
    assert record(step, "python features.py").missing_data == ("dataset/clips/001.wav",)
    assert record(step, "cat prepared.txt").output_tail == "prepared by an earlier command"
    assert record(step, "npm start").reason == "`npm` is not installed in the sandbox"
    assert "keyboard input" in record(step, "python ask.py").reason
    loud = record(step, "python loud.py")
    assert loud.reason == "printed more than 200000 bytes and was stopped" and len(loud.output_tail) <= 4000


@pytest.mark.docker
@pytest.mark.usefixtures("no_leftovers")
def test_a_server_that_prints_an_error_did_not_start_cleanly_and_background_children_do_not_hang(
    engine: Engine, base_image: str, make_tree: MakeTree, tmp_path: Path
) -> None:
    readme = "# P\n\n```bash\npython idle.py &\npython app.py\n```\n"
    app = ("import time, traceback\nfrom http.server import HTTPServer\n\ntry:\n    1 / 0\nexcept ZeroDivisionError:\n"
           "    traceback.print_exc()\nwhile True:\n    time.sleep(1)\n\napp.run(port=8080)\n")
    root = make_tree({"README.md": readme, "app.py": app, "idle.py": "import time\ntime.sleep(600)\n"})
    step = real_step(engine, base_image, root, tmp_path)
    assert outcomes(step) == [("python idle.py &", "passed"), ("python app.py", "failed")]
    assert record(step, "python idle.py &").duration_s < 5
    app_run = record(step, "python app.py")
    assert app_run.reason == "printed an error and was stopped at its limit (5 s)"
    assert "ZeroDivisionError" in app_run.output_tail


@pytest.mark.docker
@pytest.mark.usefixtures("no_leftovers")
def test_run_sandbox_runs_the_readme_step_and_run_readme_reads_it(
    engine: Engine, base_image: str, make_tree: MakeTree, tmp_path: Path
) -> None:
    from grader.sandbox.runner import run_sandbox

    root = make_tree({"README.md": "# P\n\n    python demo.py\n", "demo.py": "print('it works')\n"})

    def prepare(*_: object) -> Any:
        class Prepared:
            image, kind = base_image, "plain"
            step = StepOutcome("build", StepStatus.PASSED)

        return Prepared()

    sub = Submission(id="g", root=root, source=str(root))
    run = run_sandbox(sub, SubmissionTree(root), POLICY, [RunReadmeCheck.step], lambda _: None, engine=engine,
                      prepare=prepare)
    result = run_on(RunReadmeCheck, sub, run=run, tree=SubmissionTree(root))
    assert result.status is Status.PASSED and result.score == 1.0, result
    assert result.summary == "all 1 README commands that ran worked"


@pytest.mark.docker
@pytest.mark.usefixtures("no_leftovers")
def test_a_hostile_readme_can_neither_forge_its_outcomes_nor_pass_by_killing_the_driver(
    engine: Engine, base_image: str, make_tree: MakeTree, tmp_path: Path
) -> None:
    forge = ("import json, os, subprocess\n"
             "body = json.dumps({'commands': [{'index': 1, 'outcome': 'passed'}], 'complete': True})\n"
             "with open('/grader-out', 'w') as out:\n    json.dump({'body': body, 'mac': '0' * 64}, out)\n"
             "subprocess.Popen(['python3', '-c', 'import time; time.sleep(3)'], start_new_session=True)\n")
    root = make_tree({"README.md": "# P\n\n```bash\npython forge.py\npython broken.py\n```\n", "forge.py": forge,
                      "broken.py": "raise SystemExit('the honest failure')\n"})
    step = real_step(engine, base_image, root, tmp_path)
    assert step.rejected is None
    assert outcomes(step) == [("python forge.py", "passed"), ("python broken.py", "failed")]
    killer = make_tree({"README.md": "# P\n\n    python kill.py\n    python ok.py\n",
                        "kill.py": "import os, signal\nos.kill(-1, signal.SIGKILL)\n", "ok.py": ""})
    step = real_step(engine, base_image, killer, tmp_path / "killer")
    assert step.status is StepStatus.FAILED and step.rejected, step
    result = run_on(RunReadmeCheck, killer, run=RunOutcome("img", "plain", (step,)))
    assert result.status is Status.FAILED and "not accepted" in result.summary
