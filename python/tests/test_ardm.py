"""The Python package against the command line's files, on every kind, with damaged input and threads.

ARDM_CLI and ARDM_DECODE name the `ardm` and `ardm-decode` binaries (CTest sets them); without
them the comparisons with the command line are skipped.
"""
import io
import os
import subprocess
import wave
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

import ardm

GOLDEN = os.path.join(os.path.dirname(__file__), "..", "..", "tests", "golden")
CLI = os.environ.get("ARDM_CLI")
DECODE = os.environ.get("ARDM_DECODE")


def golden(name):
    with open(os.path.join(GOLDEN, name), "rb") as f:
        return f.read()


def wav_bytes(samples, rate):
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1 if samples.ndim == 1 else samples.shape[1])
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(samples.astype("<i2").tobytes())
    return out.getvalue()


rng = np.random.default_rng(5)
SMOOTH = (np.add.outer(np.arange(30), np.arange(44)) * 3 % 256).astype(np.uint8)
IMAGES = {
    "fashion-mnist size, gray": (rng.integers(0, 256, (28, 28)).astype(np.uint8), "image"),
    "gray photo": (SMOOTH, "photo"),
    "RGB photo": (np.stack([SMOOTH, SMOOTH[::-1], rng.integers(0, 256, (30, 44), np.uint8)], -1), "photo"),
    "RGBA": (rng.integers(0, 256, (7, 9, 4)).astype(np.uint8), "image"),
    "16-bit gray": (rng.integers(0, 65536, (6, 5)).astype(np.uint16), "image"),
}


@pytest.mark.parametrize("name", list(IMAGES))
def test_images_round_trip(name):
    image, kind = IMAGES[name]
    blob = ardm.compress(image)
    back = ardm.decompress(blob)
    assert back.dtype == image.dtype and back.shape == image.shape
    assert np.array_equal(back, image)
    assert ardm.decompress(blob, as_file=True)[:8] == b"\x89PNG\r\n\x1a\n"


def test_audio_round_trips_as_arrays_and_as_wav():
    t = np.arange(3000)
    mono = (2000 * np.sin(t / 9.0) + rng.integers(-40, 40, t.size)).astype(np.int16)
    stereo = np.stack([mono, mono[::-1]], 1)
    for samples in (mono, stereo):
        blob = ardm.compress(samples, sample_rate=8000)
        assert np.array_equal(ardm.decompress(blob), samples)
        wav = ardm.decompress(blob, as_file=True)
        with wave.open(io.BytesIO(wav)) as w:
            assert w.getframerate() == 8000 and w.getnchannels() == (1 if samples.ndim == 1 else 2)
        # The WAV file's bytes compress to the same file as its samples.
        assert ardm.compress(wav_bytes(samples, 8000)) == blob
    with pytest.raises(ValueError, match="sample_rate"):
        ardm.compress(mono)


def test_bytes_round_trip():
    for data in (b"", b"x", golden("kjv-jonah-1.txt"), bytes(range(256)) * 9):
        blob = ardm.compress(data)
        assert ardm.decompress(blob) == data
    assert ardm.decompress(ardm.compress(bytearray(b"abc"))) == b"abc"
    assert ardm.decompress(ardm.compress(np.frombuffer(b"numpy bytes", np.uint8))) == b"numpy bytes"


@pytest.mark.parametrize("original,budget,made", [
    ("fmnist-test-00000.png", 20, "fmnist-test-00000.engine.ardm"),
    ("kjv-jonah-1.txt", 20, "kjv-jonah-1.v4a-b20.text.ardm"),
    ("telephone-number.wav", 20, "telephone-number.v5e-b20.wav.ardm"),
    ("coffee-48x40.png", 20, "coffee-48x40.p2-b20.png.ardm"),
])
def test_golden_files_are_the_cli_bytes(original, budget, made):
    # The golden files were made by `ardm compress --method model --budget N`.
    assert ardm.compress(golden(original), budget=budget, method="model") == golden(made)
    assert ardm.decompress(golden(made), as_file=True) == golden(original)


@pytest.mark.skipif(not CLI or not DECODE, reason="ARDM_CLI and ARDM_DECODE not set")
def test_files_cross_with_the_command_line(tmp_path):
    image, _ = IMAGES["RGB photo"]
    blob = ardm.compress(image, level=1)
    (tmp_path / "a.png.ardm").write_bytes(blob)
    subprocess.run([DECODE, "-q", str(tmp_path / "a.png.ardm")], check=True)
    png = (tmp_path / "a.png").read_bytes()
    assert np.array_equal(ardm.decompress(ardm.compress(png)), image)
    # The CLI compresses the PNG it decoded to the bytes Python made of the array.
    subprocess.run([CLI, "compress", "-q", "-1", str(tmp_path / "a.png")], check=True)
    assert (tmp_path / "a.png.ardm").read_bytes() == blob
    text = golden("kjv-jonah-1.txt") * 3
    (tmp_path / "t.txt").write_bytes(text)
    subprocess.run([CLI, "compress", "-q", "-k", str(tmp_path / "t.txt")], check=True)
    assert (tmp_path / "t.txt.ardm").read_bytes() == ardm.compress(text)


def test_errors_name_what_was_wrong():
    blob = ardm.compress(golden("kjv-jonah-1.txt"))
    damaged = bytearray(blob)
    damaged[len(damaged) // 2] ^= 0x20
    with pytest.raises(ardm.CorruptError, match="corrupted"):
        ardm.decompress(bytes(damaged))
    with pytest.raises(ardm.CorruptError):
        ardm.decompress(blob[:-4])
    with pytest.raises(ardm.CorruptError):
        ardm.decompress(b"not an ardm file at all")
    assert issubclass(ardm.CorruptError, ValueError)
    with pytest.raises(TypeError):
        ardm.compress("text is bytes")
    with pytest.raises(TypeError):
        ardm.compress(np.zeros((4, 4), np.float32))
    with pytest.raises(ValueError):
        ardm.compress(np.zeros((2, 2, 2, 2), np.uint8))
    with pytest.raises(ValueError, match="budget"):
        ardm.compress(b"abc", budget=5000)
    with pytest.raises(ValueError, match="kind"):
        ardm.compress(b"abc", kind="video")
    with pytest.raises(ardm.InputError):
        ardm.compress(b"not a wav", kind="audio")
    with pytest.raises(ardm.ModelError):
        ardm.compress(b"abc", model="/nonexistent/model.ardmnet")
    with pytest.raises(ardm.ModelError):
        ardm.Model("/nonexistent/model.ardmnet")
    with pytest.raises(ValueError, match="kind"):
        ardm.bundled_model("video")


def test_threads_compress_in_parallel_as_alone():
    items = [golden("kjv-jonah-1.txt"), golden("coffee-48x40.png"), IMAGES["RGB photo"][0], golden("telephone-number.wav")]
    alone = [ardm.compress(x) for x in items]
    with ThreadPoolExecutor(4) as pool:
        together = list(pool.map(ardm.compress, items * 2))
    assert together == alone * 2
    with ThreadPoolExecutor(4) as pool:
        back = list(pool.map(ardm.decompress, alone))
    assert back[0] == items[0] and np.array_equal(back[2], items[2])


def test_model_code_lengths_schedules_and_samples():
    m = ardm.Model(ardm.bundled_model("image"))
    assert m.kind == "image" and m.shape == (1, 28, 28) and m.classes == 256
    s = m.schedule(20)
    assert s["budget"] == 20 and len(s["steps"]) == 20 and s["steps"][0] == 0
    assert all(b > a for a, b in zip(s["steps"], s["steps"][1:]))
    costs = [x["predicted_bpd"] for x in m.schedule([2, 5, 20, 100])]
    assert all(b <= a + 1e-9 for a, b in zip(costs, costs[1:])), costs  # more calls never cost more
    a, b, c = m.sample(3, 20, seed=1), m.sample(3, 20, seed=1), m.sample(3, 20, seed=2)
    assert a.shape == (3, 1, 28, 28) and a.dtype == np.uint8
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    bits = m.code_length(a, 20)
    assert bits.shape == (3,) and np.all(bits > 0)
    # One image's exact code length is about its model-coded file's size (header and the rANS
    # state besides).
    image = ardm.decompress(golden("fmnist-test-00000.engine.ardm"))
    one = m.code_length(image, 20)
    size = 8 * len(golden("fmnist-test-00000.engine.ardm"))
    assert size - 200 < one <= size
    with pytest.raises(ValueError):
        m.code_length(np.full((1, 28, 28), 256), 20)
    with pytest.raises(ValueError):
        m.code_length(np.zeros(100, np.uint8), 20)
