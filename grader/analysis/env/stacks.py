"""What a static analysis knows of the Python world without an installed environment: the dependencies of the
well-known scientific and audio stacks, the distribution to advise for an import, and Python 2's modules.

Inside the sandbox the group's own environment answers these questions (`EnvironmentMetadata`); these tables
are the fallback, kept to facts that hold for every release students use.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from packaging.utils import canonicalize_name

#: Direct runtime requirements (PEP 503 names) of distributions students declare, as their metadata states them
#: (stable over recent releases). Only what matters for imports is listed: a package a student might import.
KNOWN_REQUIRES: dict[str, tuple[str, ...]] = {
    "librosa": ("audioread", "numpy", "scipy", "scikit-learn", "joblib", "decorator", "numba", "soundfile",
                "pooch", "soxr", "typing-extensions", "lazy-loader", "msgpack"),
    "pandas": ("numpy", "python-dateutil", "pytz", "tzdata"),
    "scipy": ("numpy",),
    "scikit-learn": ("numpy", "scipy", "joblib", "threadpoolctl"),
    "scikit-image": ("numpy", "scipy", "networkx", "pillow", "imageio", "tifffile", "packaging", "lazy-loader"),
    "matplotlib": ("contourpy", "cycler", "fonttools", "kiwisolver", "numpy", "packaging", "pillow", "pyparsing",
                   "python-dateutil"),
    "seaborn": ("numpy", "pandas", "matplotlib"),
    "statsmodels": ("numpy", "scipy", "pandas", "patsy", "packaging"),
    "torch": ("filelock", "typing-extensions", "sympy", "networkx", "jinja2", "fsspec"),
    "torchaudio": ("torch",),
    "torchvision": ("numpy", "torch", "pillow"),
    "pytorch-lightning": ("torch", "tqdm", "pyyaml", "fsspec", "torchmetrics", "packaging", "typing-extensions",
                          "lightning-utilities"),
    "lightning": ("pyyaml", "fsspec", "lightning-utilities", "packaging", "torch", "torchmetrics", "tqdm",
                  "typing-extensions", "pytorch-lightning"),
    "torchmetrics": ("numpy", "packaging", "torch", "lightning-utilities"),
    "tensorflow": ("absl-py", "astunparse", "flatbuffers", "gast", "google-pasta", "h5py", "keras", "ml-dtypes",
                   "numpy", "opt-einsum", "packaging", "protobuf", "requests", "setuptools", "six", "termcolor",
                   "typing-extensions", "wrapt", "grpcio", "tensorboard"),
    "tensorflow-gpu": ("absl-py", "h5py", "keras", "numpy", "protobuf", "six", "tensorboard", "grpcio", "wrapt"),
    "tensorflow-cpu": ("absl-py", "h5py", "keras", "numpy", "protobuf", "six", "tensorboard", "grpcio", "wrapt"),
    "keras": ("absl-py", "numpy", "rich", "namex", "h5py", "optree", "ml-dtypes", "packaging"),
    "tensorboard": ("absl-py", "grpcio", "markdown", "numpy", "packaging", "protobuf", "setuptools", "werkzeug"),
    "h5py": ("numpy",),
    "numba": ("llvmlite", "numpy"),
    "soundfile": ("cffi", "numpy"),
    "resampy": ("numpy", "numba"),
    "transformers": ("filelock", "huggingface-hub", "numpy", "packaging", "pyyaml", "regex", "requests",
                     "tokenizers", "safetensors", "tqdm"),
    "datasets": ("filelock", "numpy", "pyarrow", "dill", "pandas", "requests", "tqdm", "xxhash", "multiprocess",
                 "fsspec", "aiohttp", "huggingface-hub", "packaging", "pyyaml"),
    "huggingface-hub": ("filelock", "fsspec", "packaging", "pyyaml", "requests", "tqdm", "typing-extensions"),
    "speechbrain": ("hyperpyyaml", "joblib", "numpy", "packaging", "scipy", "sentencepiece", "torch", "torchaudio",
                    "tqdm", "huggingface-hub"),
    "openai-whisper": ("numba", "numpy", "torch", "tqdm", "more-itertools", "tiktoken"),
    "pretty-midi": ("numpy", "mido", "six"),
    "music21": ("chardet", "joblib", "jsonpickle", "matplotlib", "more-itertools", "numpy", "requests",
                "webcolors"),
    "streamlit": ("altair", "blinker", "cachetools", "click", "numpy", "packaging", "pandas", "pillow", "protobuf",
                  "pyarrow", "requests", "tenacity", "toml", "typing-extensions", "gitpython", "pydeck", "tornado"),
    "flask": ("werkzeug", "jinja2", "itsdangerous", "click", "blinker"),
    "optuna": ("alembic", "colorlog", "numpy", "packaging", "sqlalchemy", "tqdm", "pyyaml"),
    "umap-learn": ("numpy", "scipy", "scikit-learn", "numba", "pynndescent", "tqdm"),
    "xgboost": ("numpy", "scipy"),
    "imbalanced-learn": ("numpy", "scipy", "scikit-learn", "joblib", "threadpoolctl"),
    "gradio": ("numpy", "pandas", "pillow", "pyyaml", "requests", "huggingface-hub", "fastapi", "uvicorn",
               "pydantic", "jinja2", "packaging", "httpx", "orjson", "pydub", "typing-extensions"),
    "audiomentations": ("numpy", "scipy", "soxr"),
    "torch-audiomentations": ("julius", "torch", "torchaudio", "torch-pitch-shift"),
    "nnaudio": ("numpy", "scipy", "torch"),
    "pyroomacoustics": ("numpy", "scipy", "cython"),
    "pydub": (),
    "tqdm": (),
    "requests": ("charset-normalizer", "idna", "urllib3", "certifi"),
    "pyarrow": (),
    "jupyter": ("notebook", "jupyterlab", "ipykernel", "ipywidgets", "jupyter-console", "nbconvert"),
    "ipykernel": ("ipython", "jupyter-client", "traitlets", "tornado", "matplotlib-inline"),
    "notebook": ("jupyterlab", "jupyter-server", "tornado"),
    "jupyterlab": ("ipykernel", "jinja2", "jupyter-server", "tornado", "packaging"),
    "ipywidgets": ("ipython", "traitlets", "comm"),
    "wandb": ("click", "gitpython", "requests", "psutil", "pyyaml", "protobuf", "sentry-sdk", "setuptools"),
    "hydra-core": ("omegaconf", "antlr4-python3-runtime", "packaging"),
    "omegaconf": ("antlr4-python3-runtime", "pyyaml"),
    "timm": ("torch", "torchvision", "pyyaml", "huggingface-hub", "safetensors"),
    "accelerate": ("numpy", "packaging", "psutil", "pyyaml", "torch", "huggingface-hub", "safetensors"),
    "tensorflow-hub": ("numpy", "protobuf", "tf-keras"),
    "tensorflow-io": ("tensorflow-io-gcs-filesystem",),
    "opencv-python": ("numpy",),
    "opencv-python-headless": ("numpy",),
    "pillow": (),
    "numpy": (),
}

#: The distribution to advise for an import name when several provide it, or when the name misleads
#: (`sklearn` on the index is a deprecated placeholder; `pytorch` there fails to install: it is `torch`).
PREFERRED: dict[str, str] = {
    "sklearn": "scikit-learn", "skimage": "scikit-image", "cv2": "opencv-python", "yaml": "PyYAML",
    "PIL": "Pillow", "torch": "torch", "tensorflow": "tensorflow", "keras": "keras", "soundfile": "soundfile",
    "bs4": "beautifulsoup4", "dotenv": "python-dotenv", "dateutil": "python-dateutil", "attr": "attrs",
    "lightning": "lightning", "pytorch_lightning": "pytorch-lightning", "matplotlib": "matplotlib",
    "mpl_toolkits": "matplotlib", "pylab": "matplotlib", "ffmpeg": "ffmpeg-python", "magic": "python-magic",
    "Levenshtein": "Levenshtein", "imblearn": "imbalanced-learn", "psycopg2": "psycopg2-binary",
    "webrtcvad": "webrtcvad", "tables": "tables", "git": "GitPython", "serial": "pyserial", "usb": "pyusb",
    "Crypto": "pycryptodome", "jwt": "PyJWT", "multipart": "python-multipart", "gin": "gin-config",
    "rave": "acids-rave", "midi": "python-midi", "augment": "WavAugment", "IPython": "ipython",
    "google.protobuf": "protobuf", "community": "python-louvain", "fitz": "PyMuPDF", "docx": "python-docx",
    "pptx": "python-pptx", "tensorboardX": "tensorboardX", "nnAudio": "nnAudio", "faiss": "faiss-cpu",
    "pkg_resources": "setuptools", "OpenGL": "PyOpenGL", "wx": "wxPython", "vlc": "python-vlc",
}

#: Import names with no single distribution to advise (namespaces shared by many projects).
AMBIGUOUS = frozenset({"google", "azure", "jupyter", "mpl_toolkits.basemap"})

#: Python 2 standard-library modules and their Python 3 replacements: never distributions to install.
PYTHON2_MODULES: dict[str, str] = {
    "cPickle": "pickle", "cStringIO": "io", "StringIO": "io", "urllib2": "urllib.request",
    "urlparse": "urllib.parse", "ConfigParser": "configparser", "Queue": "queue", "Tkinter": "tkinter",
    "tkMessageBox": "tkinter.messagebox", "tkFileDialog": "tkinter.filedialog", "tkSimpleDialog":
    "tkinter.simpledialog", "ttk": "tkinter.ttk", "ScrolledText": "tkinter.scrolledtext", "httplib": "http.client",
    "HTMLParser": "html.parser", "htmlentitydefs": "html.entities", "SocketServer": "socketserver",
    "SimpleHTTPServer": "http.server", "BaseHTTPServer": "http.server", "CGIHTTPServer": "http.server",
    "cookielib": "http.cookiejar", "Cookie": "http.cookies", "xmlrpclib": "xmlrpc.client",
    "commands": "subprocess", "popen2": "subprocess", "thread": "threading", "dummy_thread": "threading",
    "__builtin__": "builtins", "exceptions": "builtins", "copy_reg": "copyreg", "repr": "reprlib",
    "anydbm": "dbm", "whichdb": "dbm", "dumbdbm": "dbm.dumb", "gdbm": "dbm.gnu", "robotparser":
    "urllib.robotparser", "UserDict": "collections", "UserList": "collections", "UserString": "collections",
    "md5": "hashlib", "sha": "hashlib", "sets": "the built-in set", "new": "types", "mimetools": "email",
    "rfc822": "email", "imp": "importlib", "distutils": "setuptools", "asynchat": "asyncio", "asyncore": "asyncio",
}


def canonical(name: str) -> str:
    """The PEP 503 normal form of a distribution name."""
    return canonicalize_name(name)


def closure(roots: Iterable[str], requires: Mapping[str, tuple[str, ...]]) -> dict[str, str]:
    """Every distribution reachable from `roots` through `requires`, each with the root that brings it in."""
    reached: dict[str, str] = {}
    for root in roots:
        start = canonical(root)
        stack = [start]
        while stack:
            current = stack.pop()
            for dependency in requires.get(current, ()):
                key = canonical(dependency)
                if key not in reached and key != start:
                    reached[key] = start
                    stack.append(key)
    return reached
