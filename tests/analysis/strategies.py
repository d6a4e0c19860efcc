"""Hypothesis strategies for what students hand in: free text, near-valid edits of it, and grammar-aware files
(requirement lines, TOML tables, conda YAML, setup files, notebooks, commented Python, READMEs)."""

from __future__ import annotations

import json

import yaml
from hypothesis import strategies as st

# -- building blocks -------------------------------------------------------------------------------------------

#: Any text, control characters and astral planes included (files are decoded with errors replaced).
noise = st.text(max_size=80)
#: Short junk that still looks like the characters these formats use.
punctuation = st.text(alphabet="[]{}()<>=!~^*#@;:,.'\"`$%&|\\/-_ \t\n\r\x00\x1b\u00a0\u2028", max_size=20)

names = st.one_of(
    st.sampled_from(["numpy", "torch", "scikit-learn", "PyYAML", "opencv-python", "ruamel.yaml", "python", "pip",
                     "Torch_Audio", "x"]),
    st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._-]{0,12}", fullmatch=True),
)
versions = st.from_regex(r"[0-9]{1,3}(\.[0-9]{1,3}){0,3}(\.\*|a1|rc2|\.post1|\.dev0)?", fullmatch=True)
operators = st.sampled_from(["==", "===", ">=", "<=", "<", ">", "~=", "!=", "=", "", " ", "^", "~"])
specifiers = st.lists(st.builds(lambda op, v: op + v, operators, versions), max_size=3).map(",".join)
markers = st.sampled_from(["", '; python_version < "3.10"', '; sys_platform != "win32"', "; extra == 'gpu'",
                           "; os_name ==", ";"])
urls = st.sampled_from(["https://github.com/org/repo.git", "git+https://github.com/org/repo.git@v1.0",
                        "git+https://github.com/org/repo.git@0123abcd", "file:///home/me/pkg-1.0-py3-none-any.whl",
                        "https://x/pkg-1.0.tar.gz", "git+ssh://git@github.com/org/repo", "./local/pkg", "/"])


def mutated(base: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """A document from `base` after a few random edits: a span cut or repeated, junk inserted, cut short."""

    @st.composite
    def edit(draw: st.DrawFn) -> str:
        text = draw(base)
        for _ in range(draw(st.integers(0, 3))):
            at = draw(st.integers(0, len(text)))
            op = draw(st.sampled_from(["insert", "delete", "repeat", "truncate"]))
            if op == "insert":
                text = text[:at] + draw(st.one_of(punctuation, noise)) + text[at:]
            elif op == "delete":
                text = text[:at] + text[at + draw(st.integers(1, 20)):]
            elif op == "repeat":
                text = text[:at] + text[at:at + draw(st.integers(1, 40))] * draw(st.integers(2, 5)) + text[at:]
            else:
                text = text[:at]
        return text

    return edit()


def document(lines: st.SearchStrategy[str], max_lines: int = 25) -> st.SearchStrategy[str]:
    """Lines joined with any line ending, and that document mutated or replaced by noise now and then."""
    joined = st.builds(lambda ls, end: end.join(ls), st.lists(lines, max_size=max_lines),
                       st.sampled_from(["\n", "\r\n", "\r"]))
    return st.one_of(joined, mutated(joined), noise)


# -- pip requirements --------------------------------------------------------------------------------------------

pep508 = st.builds(
    lambda name, extras, spec, marker: name + extras + spec + marker,
    names, st.sampled_from(["", "[gpu]", "[a,b]", "[", "[]"]), specifiers, markers,
) | st.builds(lambda name, url: f"{name} @ {url}", names, urls)

requirement_lines = st.one_of(
    pep508,
    pep508.map(lambda r: r + "  # why we need it"),
    pep508.map(lambda r: r + " \\"),
    pep508.map(lambda r: r + " --hash=sha256:0123abcd"),
    st.builds(lambda opt, target: f"{opt}{target}", st.sampled_from(["-r ", "-c ", "--requirement=", "-r", "-e ",
                                                                     "--editable=", "-i ", "--index-url ", "-f "]),
              st.sampled_from(["base.txt", "requirements.txt", "../outside.txt", "/etc/passwd", "~/x.txt",
                               "sub/dev.txt", "https://x/r.txt", ".", "./", "..[gpu]", "a\x00b", ""])),
    urls.map(lambda u: f"{u}#egg=pkg"),
    urls.map(lambda u: f"-e {u}#egg="),
    st.sampled_from(["", "# comment", "--pre", "--no-binary :all:", "--unknown-flag", "\\", "-", "#egg=x"]),
    noise,
)
requirements_text = document(requirement_lines)

#: A README or Dockerfile line with an install command in it.
install_lines = st.one_of(
    st.builds(lambda tool, words: f"{tool} {' '.join(words)}",
              st.sampled_from(["pip install", "pip3 install", "conda install", "mamba install", "uv pip install",
                               "poetry add", "!pip install", "RUN pip install", "sudo pip install"]),
              st.lists(st.one_of(pep508, st.sampled_from(["-r", "requirements.txt", "-e", ".", "-c", "-q", "'",
                                                          '"', "&&", "|", "--channel", "conda-forge"])),
                       max_size=6)),
    noise,
)

# -- TOML: pyproject, Pipfile, locks ------------------------------------------------------------------------------


def _toml_string(text: str) -> str:
    return json.dumps(text)  # a JSON string is a valid TOML basic string for printable text


toml_values = st.recursive(
    st.one_of(pep508.map(_toml_string), specifiers.map(_toml_string), st.sampled_from(['"*"', "1", "true", "1.5",
                                                                                      "2026-03-31", '""'])),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4).map(lambda xs: "[" + ", ".join(xs) + "]"),
        st.lists(st.tuples(st.sampled_from(["version", "extras", "git", "path", "optional", "name", "source"]),
                           inner), max_size=3).map(lambda kv: "{" + ", ".join(f"{k} = {v}" for k, v in kv) + "}"),
    ),
    max_leaves=8,
)
toml_tables = st.sampled_from([
    "[project]", "[project.optional-dependencies]", "[dependency-groups]", "[tool.poetry]",
    "[tool.poetry.dependencies]", "[tool.poetry.group.dev.dependencies]", "[tool.poetry.group]", "[packages]",
    "[dev-packages]", "[[package]]", "[tool.black]", "[package.source]", "[project",
])
toml_keys = st.one_of(st.sampled_from(["dependencies", "name", "version", "dynamic", "python", "requires-python",
                                       "optional-dependencies", "group", "package", "source", "editable"]), names)
toml_lines = st.one_of(
    toml_tables,
    st.builds(lambda k, v: f"{_toml_string(k) if '.' in k else k} = {v}", toml_keys, toml_values),
    st.sampled_from(["", "# comment", 'dynamic = ["dependencies"]', "dependencies = [", "]", 'name = "demo"',
                     "dependencies = 5", "group = 1", "dynamic = 5", "package = 3", "project = 1",
                     "a = " + "[" * 3000 + "]" * 3000, "a = " + "{b = " * 3000 + "1" + "}" * 3000]),
    noise,
)
toml_text = document(toml_lines, max_lines=20)

# -- conda YAML -----------------------------------------------------------------------------------------------------

conda_specs = st.one_of(
    st.builds(lambda ch, name, ver, build: ch + name + ver + build,
              st.sampled_from(["", "conda-forge::", "pytorch::", "::"]), names,
              st.sampled_from(["", "=1.2", "==1.2.3", ">=1.0", " 1.21", "=1.2.3=py311_0", "<2", " ", "=*"]),
              st.sampled_from(["", "=h1234_0", "="])),
    noise,
)
yaml_scalars = st.one_of(conda_specs, pep508, st.integers(), st.booleans(), st.none(), st.floats(allow_nan=False))
conda_dependencies = st.lists(
    st.one_of(conda_specs, pep508, st.integers(), st.none(),
              st.fixed_dictionaries({"pip": st.one_of(st.lists(st.one_of(pep508, yaml_scalars), max_size=5),
                                                      yaml_scalars)}),
              st.dictionaries(st.sampled_from(["pip", "conda", "x"]), yaml_scalars, max_size=2)),
    max_size=10,
)
yaml_documents = st.recursive(
    yaml_scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.sampled_from(["a", "b", "pip"]), inner,
                                                                       max_size=3)),
    max_leaves=10,
)
conda_data = st.fixed_dictionaries(
    {"dependencies": st.one_of(conda_dependencies, yaml_scalars, yaml_documents)},
    optional={"name": names, "channels": st.lists(st.sampled_from(["conda-forge", "defaults"])),
              "prefix": st.just("/opt/conda/envs/x")},
)
conda_text = st.one_of(
    conda_data.map(lambda d: yaml.safe_dump(d, allow_unicode=True)),
    mutated(conda_data.map(lambda d: yaml.safe_dump(d, allow_unicode=True))),
    yaml_documents.map(lambda d: yaml.safe_dump(d, allow_unicode=True)),
    st.sampled_from(["{{{{", "dependencies: [a, {pip: 5}]", "dependencies:\n  - pip: numpy\n", "- a\n- b\n",
                     "dependencies: &a [*a]", "? [a]\n: b\n", "!!python/object:os.system {}", "a: !!binary xx\n",
                     "dependencies: " + "[" * 3000 + "]" * 3000]),
    noise,
)

# -- setup.py / setup.cfg -----------------------------------------------------------------------------------------

_py_list = st.lists(st.one_of(pep508.map(repr), st.sampled_from(["1", "None", "f'{x}'", "*extra", "REQS"])),
                    max_size=5).map(lambda xs: "[" + ", ".join(xs) + "]")
setup_py_text = st.one_of(
    st.builds(
        lambda head, value, call: f"{head}\nREQS = {value}\n{call}(name='demo', install_requires={value})\n",
        st.sampled_from(["from setuptools import setup", "import setuptools", "", "print 'py2'"]),
        st.one_of(_py_list, st.sampled_from(["REQS", "open('r.txt').read().split()", "(", "[x for x in y]"])),
        st.sampled_from(["setup", "setuptools.setup", "setup.setup", "(lambda **k: k)"]),
    ),
    mutated(st.just("from setuptools import setup\nsetup(install_requires=['numpy>=1', 'torch'])\n")),
    st.just("x = " + "(" * 300 + ")" * 300),
    noise,
)
setup_cfg_lines = st.one_of(
    st.sampled_from(["[options]", "[metadata]", "install_requires =", "install_requires", "[options", "name = x",
                     "%(here)s", "[options]\n[options]"]),
    pep508.map(lambda r: "    " + r),
    noise,
)
setup_cfg_text = document(setup_cfg_lines)

# -- notebooks ------------------------------------------------------------------------------------------------------

json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=20)),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)),
    max_leaves=8,
)
cell_sources = st.one_of(st.text(max_size=60), st.lists(st.text(max_size=30), max_size=4), json_values)
cells = st.one_of(
    st.fixed_dictionaries({"cell_type": st.sampled_from(["code", "markdown", "raw"]), "source": cell_sources}),
    st.fixed_dictionaries({"cell_type": json_values}, optional={"source": cell_sources}),
    json_values,
)
notebook_text = st.one_of(
    st.fixed_dictionaries({"cells": st.lists(cells, max_size=5)}, optional={"nbformat": json_values}).map(json.dumps),
    st.fixed_dictionaries({"cells": json_values}).map(json.dumps),
    json_values.map(json.dumps),
    st.sampled_from(["[" * 5000 + "]" * 5000, '{"cells": ' + "[" * 5000 + "]" * 5000 + "}", "{not json", ""]),
    mutated(st.lists(cells, max_size=3).map(lambda cs: json.dumps({"cells": cs}))),
    noise,
)

# -- Python source with comments -------------------------------------------------------------------------------------

python_lines = st.one_of(
    st.sampled_from([
        "import numpy as np", "x = 1", "def f(a):", "    return a", "class Net:", '    """Doc."""', '"""', "'''",
        "# compute the loss per batch", "# x = model(batch)", "# for x in y:", "#     print(x)", "##########",
        "# -*- coding: utf-8 -*-", "# noqa", "#!/usr/bin/env python", "print 'old'", "except ValueError, e:",
        "    pass", "if True:", "else:", "# else:", "# model = Net(", "#     layers=3,", "# )", "x = '''",
        "y = 2  # inline why", "\t mixed", "\\", "# Shape (batch, time)", "%matplotlib inline", "!pip install x",
        "@decorator", "async def g():", "    await h()", "match x:", "    case 1:", "lambda: (", "",
    ]),
    st.builds(lambda indent, text: indent + "# " + text, st.sampled_from(["", "    ", "\t"]), st.text(max_size=30)),
    noise,
)
python_text = document(python_lines, max_lines=30)

# -- READMEs ----------------------------------------------------------------------------------------------------------

markdown_lines = st.one_of(
    st.builds(lambda hashes, text: f"{hashes} {text}", st.sampled_from(["#", "##", "###", "#######", "   #"]),
              st.sampled_from(["Installation", "Usage", "Data", "How to run", "Setup ##", "Ausführung", "", "x" * 90,
                               "NOTE: this is a very long sentence set in heading type here"])),
    st.sampled_from([
        "```", "```bash", "~~~python", "```{.sh}", "````", "    pip install -r requirements.txt",
        "\tpython train.py", "$ python train.py --epochs 1", "> conda activate env", "PS C:\\> python a.py",
        "- item", "1. first", "* `pip install torch`", "Run 'python train.py --config c.yaml' to train.",
        "Open [the notebook](notebooks/demo.ipynb) and ![fig](figures/a.png).", "[ref]: https://example.org",
        '<img src="a.png">', '<h2 align="center">Usage</h2>', "<summary><h3>Setup</h3></summary>", "===", "---",
        "Title", "Train with `train.py` and run it.", "python train.py && python eval.py", "pip install \\",
        "  numpy", "├── src", "usage: train.py [-h]", "export CUDA_VISIBLE_DEVICES=0", "`` `", "`" * 12, "[",
        ".. code-block:: bash", ".. image:: fig.png", "   :alt: x", "Usage::", "`link <https://x.org>`_",
        ".. _target: https://x.org", "``literal``", "=====", "~~~~~", "",
    ]),
    noise,
)
readme_text = document(markdown_lines, max_lines=30)
#: reStructuredText's own forms: adornments of every style, directives (hostile ones included), roles, targets,
#: substitutions, tables, indentation that opens block quotes and literal blocks.
rst_lines = st.one_of(
    st.builds(lambda indent, text: " " * indent + text, st.integers(0, 12), st.sampled_from([
        "Installation", "=" * 12, "-" * 5, "~~~", "^^^^^^^^", "#####", "*" * 20, "+++", "Usage::", "::", "`",
        ".. code-block:: bash", ".. code:: python", ".. sourcecode::", ":linenos:", ":caption: Setup",
        "pip install -r requirements.txt", "$ python train.py", ">>> import torch", ".. image:: img/a.png",
        ":target: https://x.org", ".. figure:: fig.png", ".. include:: /etc/passwd", ".. literalinclude:: a.py",
        ".. raw:: html", ".. csv-table:: t", ":file: /etc/passwd", ":url: http://127.0.0.1/", ".. toctree::",
        ".. note::", ".. |logo| image:: logo.png", "|logo|", ".. _docs: docs/index.rst", "`docs`_", "`x <a.md>`__",
        "``python eval.py``", ":code:`make`", "- item", "#. step", "1) step", "+-----+-----+", "| a   | b   |",
        "===== =====", "term", "   definition", "| line block", ".. [1] note", "[1]_", "__ https://anon.org",
        ".. role:: custom", ".. default-role:: literal", "`x", "``", "*a", "**", "\\", "..", "",
    ])),
    noise,
)
rst_text = document(rst_lines, max_lines=30)
readme_names = st.sampled_from(["README.md", "README.rst", "README.txt", "readme", "README.MD", "README.rest"])
