"""Deterministic generator of a realistic-sized student submission (about 5,000 lines of Python and 5 notebooks).

Run `python bench/gen_submission.py OUT_DIR` to write one; bench_static.py calls `generate()` directly.
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

_IMPORTS = (
    "import math", "import os", "import json", "from pathlib import Path", "import numpy as np",
    "import torch", "import torch.nn as nn", "import librosa", "from scipy import signal",
)

_FUNCTION = '''

def {name}(signal_in, rate={rate}, scale={scale}):
    """{doc}"""
    # Work on a copy: callers reuse their buffers between batches.
    data = np.array(signal_in, dtype=float) * scale
    frames = []
    for start in range(0, len(data) - {win}, {hop}):
        window = data[start:start + {win}]
        # Hann window against spectral leakage.
        frames.append(window * np.hanning(len(window)))
    if not frames:
        return np.zeros((0, {win}))
    result = np.stack(frames)
    energy = (result ** 2).sum(axis=1)
    {body_extra}
    return result / max(float(energy.max()), 1e-9) + rate * 0.0
'''

_UNDOCUMENTED = '''

def {name}(values, limit={limit}):
    total = 0
    for index, value in enumerate(values):
        if index > limit:
            break
        total += value * {factor}
    unused = total * 2
    return total
'''

_CLASS = '''

class {name}(nn.Module):
    """{doc}"""

    def __init__(self, n_in={n_in}, n_hidden={n_hidden}, n_out={n_out}):
        super().__init__()
        self.layer_in = nn.Linear(n_in, n_hidden)
        self.layer_out = nn.Linear(n_hidden, n_out)
        self.dropout = nn.Dropout({dropout})

    def forward(self, batch):
        """Logits for a batch of feature vectors."""
        hidden = torch.relu(self.layer_in(batch))
        # Dropout only acts in training mode.
        hidden = self.dropout(hidden)
        return self.layer_out(hidden)

    def predict(self, batch):
        """Most probable class for every row."""
        with torch.no_grad():
            logits = self.forward(batch)
        return logits.argmax(dim=1)

    def num_parameters(self):
        count = 0
        for parameter in self.parameters():
            count += parameter.numel()
        return count
'''

_DEAD = '''
# old_result = {name}(data, rate=8000)
# print(old_result.shape)
# for item in old_result:
#     print(item.mean())
'''

_DOCS = (
    "Frame the signal and normalise the frames' energy.", "Windowed frames for the STFT front end.",
    "Split audio into overlapping, tapered frames.", "Energy-normalised frames of one clip.",
)


def _module(rng: random.Random, index: int) -> str:
    parts = [f'"""Processing stage {index} of the keyword-spotting pipeline."""\n']
    parts.append("\n".join([*rng.sample(_IMPORTS, 5), "import numpy as np", "import torch", "import torch.nn as nn"]))
    parts.append("\n")
    for k in range(6):
        extra = rng.choice(("energy = np.sqrt(energy)", "energy = energy + 1.0", "result = result[:, ::-1]"))
        parts.append(_FUNCTION.format(name=f"frames_{index}_{k}", rate=rng.choice((8000, 16000, 22050)),
                                      scale=rng.choice((0.5, 1.0, 2.0)), doc=rng.choice(_DOCS),
                                      win=rng.choice((256, 512, 1024)), hop=rng.choice((128, 256)), body_extra=extra))
        if rng.random() < 0.3:
            parts.append(_DEAD.format(name=f"frames_{index}_{k}"))
    for k in range(2):
        parts.append(_UNDOCUMENTED.format(name=f"accumulate_{index}_{k}", limit=rng.randint(5, 500),
                                          factor=rng.randint(1, 9)))
    parts.append(_CLASS.format(name=f"Classifier{index}", doc="A two-layer classifier over pooled features.",
                               n_in=rng.choice((40, 64, 128)), n_hidden=rng.choice((64, 128)), n_out=rng.randint(2, 12),
                               dropout=rng.choice((0.1, 0.2, 0.5))))
    return "".join(parts)


def _notebook(rng: random.Random, index: int) -> str:
    cells = [{"cell_type": "markdown", "metadata": {}, "source": [f"# Experiment {index}\n", "\n",
                                                                  "Training curves and confusion matrix.\n"]}]
    for k in range(8):
        code = [f"# Step {k}: compute the features for this experiment.\n", "import numpy as np\n",
                f"data_{k} = np.random.default_rng({rng.randint(0, 99)}).normal(size=(100, 40))\n",
                f"mean_{k} = data_{k}.mean(axis=0)\n", f"std_{k} = data_{k}.std(axis=0) + 1e-9\n",
                f"normalised_{k} = (data_{k} - mean_{k}) / std_{k}\n", f"print(normalised_{k}.shape)\n"]
        cells.append({"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [], "source": code})
        if k % 2:
            cells.append({"cell_type": "markdown", "metadata": {}, "source": [f"Step {k} normalises the features.\n"]})
    return json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}, indent=1)


def generate(root: Path, python_lines: int = 5000, notebooks: int = 5, seed: int = 0) -> dict[str, int]:
    """Write the submission under `root`; returns the number of .py files, Python lines and notebooks."""
    rng = random.Random(seed)
    root.mkdir(parents=True, exist_ok=True)
    (root / "README.md").write_text("# Keyword spotting\n\n## Installation\n\n```bash\npip install -r "
                                    "requirements.txt\n```\n\n## Usage\n\n```bash\npython src/stage_0.py\n```\n",
                                    encoding="utf-8")
    (root / "requirements.txt").write_text("numpy\ntorch\nlibrosa\nscipy\n", encoding="utf-8")
    (root / "src").mkdir(exist_ok=True)
    lines = files = 0
    while lines < python_lines:
        text = _module(rng, files)
        (root / "src" / f"stage_{files}.py").write_text(text, encoding="utf-8")
        lines += text.count("\n")
        files += 1
    (root / "notebooks").mkdir(exist_ok=True)
    for index in range(notebooks):
        (root / "notebooks" / f"experiment_{index}.ipynb").write_text(_notebook(rng, index), encoding="utf-8")
    return {"python_files": files, "python_lines": lines, "notebooks": notebooks}


def main() -> None:
    """Command line: write a generated submission to the folder given."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out", type=Path, help="folder to write the submission into")
    parser.add_argument("--lines", type=int, default=5000, help="Python lines to generate")
    parser.add_argument("--seed", type=int, default=0, help="seed; the same seed writes the same files")
    args = parser.parse_args()
    print(generate(args.out, args.lines, seed=args.seed))


if __name__ == "__main__":
    main()
