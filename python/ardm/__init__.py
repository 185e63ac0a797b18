"""ardm: lossless compression with Autoregressive Diffusion Models, on ardm's torch-free engine.

    >>> import numpy as np, ardm
    >>> image = np.zeros((28, 28), np.uint8)
    >>> blob = ardm.compress(image)            # the bytes `ardm compress` makes of its PNG
    >>> np.array_equal(ardm.decompress(blob), image)
    True

Files are the command line's, byte for byte: a file made here decompresses with `ardm
decompress` and `ardm-decode`, and the reverse. The engine runs without the GIL, so threads
compress in parallel. Errors are exceptions that say what was wrong: CorruptError (damaged
data), ModelError (no model, or not the one a file was made with), ValueError and TypeError
(arguments); never a crash.
"""
import os as _os

import numpy as _np

from . import _ardm

__all__ = ["compress", "decompress", "Model", "bundled_model", "ArdmError", "CorruptError", "ModelError",
           "InputError", "__version__"]
__version__ = _ardm.version()


class ArdmError(Exception):
    """Any failure ardm reports."""


class CorruptError(ArdmError, ValueError):
    """The compressed data is damaged, truncated or not an ardm file."""


class ModelError(ArdmError):
    """No model, an unreadable model file, or not the model the data was made with."""


class InputError(ArdmError, ValueError):
    """An input file (PNG, WAV) is malformed."""


class _InvalidError(ArdmError, ValueError):
    pass


_ERRORS = {1: _InvalidError, 2: CorruptError, 3: ModelError, 4: InputError, 5: ArdmError}

# The bundled models: inside the package when it was installed with them, else where the build
# put them (an in-tree build).
_MODELS = _os.path.join(_os.path.dirname(__file__), "models")
if _os.path.isdir(_MODELS):
    _ardm.set_models_dir(_MODELS)


def _call(f, *args):
    try:
        return f(*args)
    except _ardm.Error as e:
        status, message = e.args
        raise _ERRORS.get(status, ArdmError)(message) from None


def _int(name, value, default=0):
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, (int, _np.integer)):
        raise TypeError(f"{name} must be an int, not {type(value).__name__}")
    if value < 0:
        raise ValueError(f"{name} must not be negative")
    return int(value)


def _bytes(data, what):
    """A contiguous byte view of any object with the buffer protocol (bytes, bytearray, ...)."""
    try:
        view = memoryview(data)
    except TypeError:
        raise TypeError(f"{what}, not {type(data).__name__}") from None
    return view if view.ndim <= 1 and view.itemsize == 1 and view.c_contiguous else memoryview(view.tobytes())


def _path(model):
    return None if model is None else _os.fspath(model)


def bundled_model(kind):
    """The path of the model a kind ("image", "photo", "text", "audio") is coded with by default
    (its environment variable, ARDM_MODEL ..., overrides it, as for the CLI)."""
    return _call(_ardm.bundled_model, kind)


def compress(data, *, kind=None, level=None, budget=None, model=None, method=None, sample_rate=None,
             threads=1):
    """Compresses `data` losslessly into the bytes of an .ardm file.

    data: bytes (any file: a PNG, a WAV, text; its kind is found as the CLI finds it), or a
    numpy array: uint8 or uint16 (H, W) or (H, W, C) with C = 1..4 is an image; int16 (frames,)
    or (frames, channels) is audio and needs `sample_rate` (uint8 audio: kind="audio").
    kind: "image", "photo", "text" or "audio" (None: found from the data). level: 1 (fast) ..
    9 (small); budget: network calls per chunk (default 20); model: an .ardmnet file (default:
    the kind's bundled model); method: "auto" (the smallest), "model", "stored", "chunks" or the
    kind's classical codec ("jxl", "webp", "wavpack", "flac", "xz" ...).
    """
    options = (kind, _path(model), method, _int("level", level), _int("budget", budget), _int("threads", threads))
    if isinstance(data, _np.ndarray):
        a = _np.ascontiguousarray(data)
        if a.dtype == _np.uint8 and a.ndim == 1 and kind != "audio":
            return _call(_ardm.compress, a, *options)
        codes = {_np.dtype(_np.uint8): _ardm.UINT8, _np.dtype(_np.uint16): _ardm.UINT16,
                 _np.dtype(_np.int16): _ardm.INT16}
        if a.dtype.newbyteorder("=") not in codes:
            raise TypeError(f"arrays of uint8 or uint16 (images) or int16 (audio), not {a.dtype}")
        a = a.astype(a.dtype.newbyteorder("="), copy=False)
        if a.ndim < 1 or a.ndim > 3 or a.size == 0:
            raise ValueError(f"an image is (H, W) or (H, W, C), audio (frames,) or (frames, channels); not {a.shape}")
        audio = a.dtype == _np.int16 or kind == "audio"
        if audio and not sample_rate:
            raise ValueError("audio needs its sample_rate")
        if not audio and a.ndim == 1:
            raise ValueError("an image is (H, W) or (H, W, C), not one dimension")
        return _call(_ardm.compress_array, a, codes[a.dtype], list(a.shape), _int("sample_rate", sample_rate),
                     *options)
    if isinstance(data, str):
        raise TypeError("compress takes bytes or a numpy array, not str (encode the text first)")
    return _call(_ardm.compress, _bytes(data, "compress takes bytes or a numpy array"), *options)


def _array(dtype, shape, values, squeeze):
    a = _np.frombuffer(values, {_ardm.UINT8: _np.uint8, _ardm.UINT16: _np.uint16, _ardm.INT16: _np.int16}[dtype])
    a = a.reshape(shape).copy()
    return a[..., 0] if squeeze and a.shape[-1] == 1 else a


def decompress(blob, *, as_file=False, model=None, threads=1):
    """The exact original of an .ardm file's bytes.

    Images come back as numpy arrays (H, W) for gray, (H, W, C) otherwise (uint8, or uint16 for
    16-bit images), a file of several images as one array (N, ...) when they share a shape;
    audio as int16 (or uint8) arrays, (frames,) for mono and (frames, channels) otherwise;
    anything else as bytes. as_file=True gives the original file's bytes instead (the PNG, the
    WAV with its sample rate, the text; a list for several images), as `ardm decompress`
    writes them. model: the .ardmnet a file needs when it is no bundled model's.
    """
    kind, files, arrays = _call(_ardm.decompress, _bytes(blob, "decompress takes bytes"), _path(model),
                                _int("threads", threads))
    if as_file:
        return files[0] if len(files) == 1 else files
    if any(a is None for a in arrays):
        return files[0] if len(files) == 1 else files
    out = [_array(d, s, v, squeeze=True) for d, s, v, _ in arrays]
    if len(out) == 1:
        return out[0]
    if all(o.shape == out[0].shape and o.dtype == out[0].dtype for o in out):
        return _np.stack(out)
    return out


class Model:
    """An exported model (.ardmnet): exact code lengths, step schedules and samples.

    Items are in the model's own layout: `shape` values (C, H, W for images, L for sequences)
    of `classes` possible values each.
    """

    def __init__(self, path, *, threads=1):
        self._m = _call(_ardm.Model, _os.fspath(path), _int("threads", threads))
        info = self._m.info()
        self.kind = info["kind"]
        self.shape = tuple(info["shape"])
        self.values = info["values"]
        self.classes = info["classes"]
        self.stages = info["stages"]
        self.context = info["context"]
        self.fingerprint = info["fingerprint"]

    def __repr__(self):
        return (f"ardm.Model(kind={self.kind!r}, shape={self.shape}, classes={self.classes}, "
                f"stages={self.stages}, fingerprint={self.fingerprint:08x})")

    def code_length(self, x, budget=20):
        """Exact bits to code x in `budget` network calls: a float for one item (shape or D
        values), an array of floats for a batch (N, *shape) or (N, D)."""
        a = _np.asarray(x)
        if not _np.issubdtype(a.dtype, _np.integer):
            raise TypeError(f"code_length takes integer values, not {a.dtype}")
        single = a.size == self.values
        flat = a.reshape(-1, self.values) if a.size % self.values == 0 and a.size > 0 else None
        if flat is None:
            raise ValueError(f"code_length takes items of {self.values} values (shape {self.shape}); got {a.shape}")
        if flat.min() < 0 or flat.max() >= self.classes:
            raise ValueError(f"values must be in 0..{self.classes - 1}")
        bits = _np.frombuffer(_call(self._m.code_length, _np.ascontiguousarray(flat, _np.uint16), len(flat),
                                    _int("budget", budget)), _np.float64).copy()
        return float(bits[0]) if single else bits

    def schedule(self, budgets):
        """The policy the codec runs for a budget: {"budget", "steps" (each call's first step,
        stage after stage), "predicted_bpd" (the dynamic program's cost, bits per value)}; a
        list of them for a list of budgets."""
        def one(b):
            steps, predicted = _call(self._m.schedule, _int("budget", b))
            return {"budget": int(b), "steps": list(steps), "predicted_bpd": predicted}
        if isinstance(budgets, (int, _np.integer)):
            return one(budgets)
        return [one(b) for b in budgets]

    def sample(self, n, budget=20, seed=0):
        """n samples (n, *shape) generated in `budget` calls; the same seed gives the same ones."""
        v = _np.frombuffer(_call(self._m.sample, _int("n", n), _int("budget", budget), _int("seed", seed)),
                           _np.uint16).reshape((n,) + self.shape)
        return v.astype(_np.uint8) if self.classes <= 256 else v.copy()
