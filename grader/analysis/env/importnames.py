"""Import names versus distribution names (sklearn is scikit-learn), and standard-library detection."""

from __future__ import annotations

import sys

from packaging.utils import canonicalize_name

#: Distributions (PEP 503 names) whose import names differ from the distribution name, in data science / audio ML.
#: Inside the sandbox `importlib.metadata.packages_distributions()` gives the truth; statically this table does.
DIST_TO_IMPORTS: dict[str, tuple[str, ...]] = {
    "scikit-learn": ("sklearn",),
    "sklearn": ("sklearn",),
    "scikit-image": ("skimage",),
    "scikit-optimize": ("skopt",),
    "scikit-maad": ("maad",),
    "opencv-python": ("cv2",),
    "opencv-python-headless": ("cv2",),
    "opencv-contrib-python": ("cv2",),
    "opencv-contrib-python-headless": ("cv2",),
    "opencv": ("cv2",),
    "py-opencv": ("cv2",),
    "pillow": ("PIL",),
    "pyyaml": ("yaml",),
    "ruamel-yaml": ("ruamel",),
    "beautifulsoup4": ("bs4",),
    "python-dotenv": ("dotenv",),
    "soundfile": ("soundfile",),
    "pysoundfile": ("soundfile",),
    "libsndfile": (),
    "python-speech-features": ("python_speech_features",),
    "pytorch": ("torch",),
    "torch": ("torch",),
    "pytorch-lightning": ("pytorch_lightning", "lightning"),
    "lightning": ("lightning", "pytorch_lightning"),
    "torchaudio": ("torchaudio",),
    "tensorflow": ("tensorflow", "keras"),
    "tensorflow-gpu": ("tensorflow", "keras"),
    "tensorflow-cpu": ("tensorflow", "keras"),
    "tensorflow-macos": ("tensorflow", "keras"),
    "tensorflow-io": ("tensorflow_io",),
    "tensorflow-datasets": ("tensorflow_datasets",),
    "tensorflow-hub": ("tensorflow_hub",),
    "tensorflow-addons": ("tensorflow_addons",),
    "tf-keras": ("tf_keras",),
    "keras": ("keras",),
    "jax": ("jax",),
    "jaxlib": ("jaxlib", "jax"),
    "protobuf": ("google",),
    "google-cloud-storage": ("google",),
    "googleapis-common-protos": ("google",),
    "grpcio": ("grpc",),
    "python-dateutil": ("dateutil",),
    "pytz": ("pytz",),
    "attrs": ("attr", "attrs"),
    "msgpack-python": ("msgpack",),
    "pyzmq": ("zmq",),
    "pycocotools": ("pycocotools",),
    "ffmpeg-python": ("ffmpeg",),
    "python-ffmpeg": ("ffmpeg",),
    "pydub": ("pydub",),
    "pyaudio": ("pyaudio",),
    "sounddevice": ("sounddevice",),
    "noisereduce": ("noisereduce",),
    "audiomentations": ("audiomentations",),
    "torch-audiomentations": ("torch_audiomentations",),
    "pesq": ("pesq",),
    "pystoi": ("pystoi",),
    "resampy": ("resampy",),
    "nnaudio": ("nnAudio",),
    "speechbrain": ("speechbrain",),
    "openai-whisper": ("whisper",),
    "faster-whisper": ("faster_whisper",),
    "pyannote-audio": ("pyannote",),
    "music21": ("music21",),
    "pretty-midi": ("pretty_midi",),
    "mido": ("mido",),
    "essentia": ("essentia",),
    "madmom": ("madmom",),
    "mir-eval": ("mir_eval",),
    "crepe": ("crepe",),
    "praat-parselmouth": ("parselmouth",),
    "webrtcvad": ("webrtcvad",),
    "webrtcvad-wheels": ("webrtcvad",),
    "pyworld": ("pyworld",),
    "pysptk": ("pysptk",),
    "llvmlite": ("llvmlite",),
    "huggingface-hub": ("huggingface_hub",),
    "sentencepiece": ("sentencepiece",),
    "sentence-transformers": ("sentence_transformers",),
    "hydra-core": ("hydra",),
    "omegaconf": ("omegaconf",),
    "wandb": ("wandb",),
    "tensorboardx": ("tensorboardX",),
    "tensorboard": ("tensorboard",),
    "thop": ("thop",),
    "torch-summary": ("torchsummary",),
    "torchsummary": ("torchsummary",),
    "torchinfo": ("torchinfo",),
    "timm": ("timm",),
    "efficientnet-pytorch": ("efficientnet_pytorch",),
    "pytorch-metric-learning": ("pytorch_metric_learning",),
    "torchmetrics": ("torchmetrics",),
    "segmentation-models-pytorch": ("segmentation_models_pytorch",),
    "ipython": ("IPython",),
    "ipywidgets": ("ipywidgets",),
    "jupyter": (),
    "jupyterlab": (),
    "notebook": (),
    "ipykernel": (),
    "matplotlib": ("matplotlib", "mpl_toolkits", "pylab"),
    "matplotlib-base": ("matplotlib", "mpl_toolkits", "pylab"),
    "umap-learn": ("umap",),
    "hdbscan": ("hdbscan",),
    "python-louvain": ("community",),
    "networkx": ("networkx",),
    "torch-geometric": ("torch_geometric",),
    "spektral": ("spektral",),
    "dgl": ("dgl",),
    "pyg": ("torch_geometric",),
    "xgboost": ("xgboost",),
    "lightgbm": ("lightgbm",),
    "catboost": ("catboost",),
    "imbalanced-learn": ("imblearn",),
    "imblearn": ("imblearn",),
    "statsmodels": ("statsmodels",),
    "pandas": ("pandas",),
    "numpy": ("numpy",),
    "scipy": ("scipy",),
    "numba": ("numba",),
    "h5py": ("h5py",),
    "tables": ("tables",),
    "pytables": ("tables",),
    "pyarrow": ("pyarrow",),
    "typing-extensions": ("typing_extensions",),
    "importlib-metadata": ("importlib_metadata",),
    "importlib-resources": ("importlib_resources",),
    "setuptools": ("setuptools", "pkg_resources"),
    "pywin32": ("win32api", "win32con", "win32com", "pythoncom", "pywintypes"),
    "pyserial": ("serial",),
    "pyusb": ("usb",),
    "pycryptodome": ("Crypto",),
    "pyjwt": ("jwt",),
    "python-multipart": ("multipart",),
    "python-magic": ("magic",),
    "python-levenshtein": ("Levenshtein",),
    "levenshtein": ("Levenshtein",),
    "jiwer": ("jiwer",),
    "editdistance": ("editdistance",),
    "scikit-plot": ("scikitplot",),
    "tqdm": ("tqdm",),
    "rich": ("rich",),
    "click": ("click",),
    "gradio": ("gradio",),
    "streamlit": ("streamlit",),
    "flask": ("flask",),
    "flask-cors": ("flask_cors",),
    "fastapi": ("fastapi",),
    "uvicorn": ("uvicorn",),
    "pymongo": ("pymongo", "bson", "gridfs"),
    "psycopg2-binary": ("psycopg2",),
    "psycopg2": ("psycopg2",),
    "mysql-connector-python": ("mysql",),
    "gitpython": ("git",),
    "pygithub": ("github",),
    "docker": ("docker",),
    "dvc": ("dvc",),
    "kaggle": ("kaggle",),
    "gdown": ("gdown",),
    "wget": ("wget",),
    "requests": ("requests",),
    "youtube-dl": ("youtube_dl",),
    "yt-dlp": ("yt_dlp",),
    "pytube": ("pytube",),
    "spotipy": ("spotipy",),
    "seaborn": ("seaborn",),
    "plotly": ("plotly",),
    "bokeh": ("bokeh",),
    "dash": ("dash",),
    "altair": ("altair",),
    "pytorch-ignite": ("ignite",),
    "fairseq": ("fairseq",),
    "transformers": ("transformers",),
    "datasets": ("datasets",),
    "evaluate": ("evaluate",),
    "accelerate": ("accelerate",),
    "peft": ("peft",),
    "einops": ("einops",),
    "optuna": ("optuna",),
    "ray": ("ray",),
    "foolbox": ("foolbox",),
    "adversarial-robustness-toolbox": ("art",),
    "torchattacks": ("torchattacks",),
    "pytest": ("pytest", "_pytest"),
    "pyqt5": ("PyQt5",),
    "pyqt6": ("PyQt6",),
    "pyside2": ("PySide2",),
    "pyside6": ("PySide6",),
    "wxpython": ("wx",),
    "pygame": ("pygame",),
    "pyopengl": ("OpenGL",),
    "python-vlc": ("vlc",),
    "pymupdf": ("fitz", "pymupdf"),
    "pypdf2": ("PyPDF2",),
    "python-docx": ("docx",),
    "python-pptx": ("pptx",),
    "openpyxl": ("openpyxl",),
    "xlrd": ("xlrd",),
    "lxml": ("lxml",),
    "markdown": ("markdown",),
    "nltk": ("nltk",),
    "spacy": ("spacy",),
    "gensim": ("gensim",),
    "pyroomacoustics": ("pyroomacoustics",),
    "torchvision": ("torchvision",),
    "torchtext": ("torchtext",),
    "librosa": ("librosa",),
    "audioread": ("audioread",),
    "museval": ("museval",),
    "musdb": ("musdb",),
    "nussl": ("nussl",),
    "asteroid": ("asteroid",),
    "demucs": ("demucs",),
    "openl3": ("openl3",),
    "vggish": ("vggish",),
    "panns-inference": ("panns_inference",),
    "descript-audio-codec": ("dac",),
    "encodec": ("encodec",),
    "laion-clap": ("laion_clap",),
    "tinytag": ("tinytag",),
    "mutagen": ("mutagen",),
    "eyed3": ("eyed3",),
    "python-magic-bin": ("magic",),
    "pydantic": ("pydantic",),
    "boto3": ("boto3",),
    "joblib": ("joblib",),
    "dill": ("dill",),
    "cloudpickle": ("cloudpickle",),
    "six": ("six",),
    "future": ("future", "past", "builtins"),
    "gin-config": ("gin",),
    "acids-rave": ("rave",),
    "python-midi": ("midi",),
    "wavaugment": ("augment",),
    "eagerpy": ("eagerpy",),
    "torcheval": ("torcheval",),
    "tensorflow-gnn": ("tensorflow_gnn",),
    "keras-tuner": ("keras_tuner", "kerastuner"),
    "tf-models-official": ("official",),
    "faiss-cpu": ("faiss",),
    "faiss-gpu": ("faiss",),
    "absl-py": ("absl",),
    "pyaml": ("pyaml",),
    "sqlalchemy": ("sqlalchemy",),
    "pandas-confusion": ("pandas_confusion",),
    "wavio": ("wavio",),
    "hyperpyyaml": ("hyperpyyaml",),
    "antlr4-python3-runtime": ("antlr4",),
    "charset-normalizer": ("charset_normalizer",),
    "lazy-loader": ("lazy_loader",),
    "more-itertools": ("more_itertools",),
    "lightning-utilities": ("lightning_utilities",),
    "opt-einsum": ("opt_einsum",),
    "google-pasta": ("pasta",),
    "tensorflow-io-gcs-filesystem": ("tensorflow_io_gcs_filesystem",),
    "ml-dtypes": ("ml_dtypes",),
    "jupyter-client": ("jupyter_client",),
    "matplotlib-inline": ("matplotlib_inline",),
}

#: Distributions that are tools or plug-ins, used without being imported: never "declared but unused".
NOT_IMPORTED = frozenset(
    {
        "pip", "setuptools", "wheel", "jupyter", "jupyterlab", "notebook", "ipykernel", "nbconvert", "nbformat",
        "black", "flake8", "pylint", "mypy", "ruff", "isort", "pre-commit", "pytest", "pytest-cov", "coverage",
        "tensorboard", "tensorboard-data-server", "tensorboard-plugin-wit", "libsndfile", "ffmpeg", "sox",
        "cudatoolkit", "cudnn", "pytorch-cuda", "cuda-toolkit", "mkl", "openblas", "python", "kaleido",
        "openpyxl", "pyarrow", "fastparquet", "soxr", "ipywidgets", "widgetsnbextension",
        "gunicorn", "uvicorn", "dvc", "poetry", "twine", "build", "hatchling",
    }
)


#: Modules a notebook platform provides (Colab, Kaggle, the Jupyter kernel): imported, never declared.
PLATFORM_MODULES = frozenset({"google.colab", "kaggle_secrets", "kaggle_datasets", "kaggle_web_client"})
#: Modules every Jupyter kernel brings, so a notebook may import them without declaring them.
KERNEL_MODULES = frozenset({"IPython", "ipykernel", "ipywidgets", "matplotlib_inline"})


def canonical(name: str) -> str:
    """The PEP 503 normal form of a distribution name (case, `_` and `.` folded to `-`)."""
    return canonicalize_name(name)


def import_names(distribution: str) -> tuple[str, ...]:
    """Top-level import names a distribution provides; the table first, else its name with `-` as `_`."""
    key = canonical(distribution)
    if key in DIST_TO_IMPORTS:
        return DIST_TO_IMPORTS[key]
    guess = key.replace("-", "_")
    # `python-foo` is usually imported as `foo`; `foo-python` too (e.g. `ffmpeg-python`).
    stripped = guess.removeprefix("python_").removesuffix("_python").removeprefix("py_")
    return (guess,) if stripped == guess else (guess, stripped)


def distributions_for(import_name: str) -> tuple[str, ...]:
    """Distributions known to provide a top-level import name (from the table; else the name itself)."""
    known = tuple(dist for dist, names in DIST_TO_IMPORTS.items() if import_name in names)
    return known or (canonical(import_name),)


def provides(distribution: str, import_name: str) -> bool:
    """Whether installing `distribution` makes `import import_name` work, as far as the table knows."""
    names = import_names(distribution)
    return import_name in names or import_name.lower() in {n.lower() for n in names}


def is_stdlib(import_name: str) -> bool:
    """Whether a top-level module belongs to the standard library of the running Python (3.10+)."""
    return import_name in sys.stdlib_module_names or import_name == "__future__"


def needs_no_import(distribution: str) -> bool:
    """Whether a distribution is a tool, plug-in or runtime backend that code does not import by name."""
    return canonical(distribution) in NOT_IMPORTED


def platform_provided(module: str, in_notebook: bool) -> bool:
    """Whether a (dotted) module comes with the platform the code runs on, e.g. google.colab, or IPython in Jupyter."""
    top = module.split(".")[0]
    if in_notebook and top in KERNEL_MODULES:
        return True
    return any(module == m or module.startswith(m + ".") for m in PLATFORM_MODULES) or top in PLATFORM_MODULES
