"""The two distributions built from the repository: the runtime wheel ``tfgan_zoo`` carries the loader and the
manifest but no SavedModel; the ``tfgan-zoo-weights`` wheel (``weights/``) carries the SavedModels; installed side
by side, outside the repository, the runtime package finds the weights, verifies them and draws from them."""
import os
import pathlib
import shutil
import subprocess
import sys
import zipfile


REPOSITORY = pathlib.Path(__file__).resolve().parents[1]

USE_INSTALLED_WHEELS = """
import sys
import numpy as np
import tfgan_zoo, tfgan_zoo_weights
from tfgan_zoo import pretrained
site = sys.argv[1]
assert tfgan_zoo.__file__.startswith(site), tfgan_zoo.__file__
assert str(pretrained.weights_dir()).startswith(site), pretrained.weights_dir()
points = pretrained.load("gan_ring").generate(2500, seed=1234)
print("modes", pretrained.toy_scores_at_protocol(pretrained.load("gan_ring"))["modes_captured"], points.shape)
"""


def _wheel(source, out):
    result = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
                             "-q", "-w", str(out), str(source)], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    (wheel,) = out.glob("*.whl")
    return wheel


def test_runtime_and_weights_wheels_install_side_by_side(tmp_path):
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info", "build")
    runtime_source = tmp_path / "runtime"
    shutil.copytree(REPOSITORY / "tfgan_zoo", runtime_source / "tfgan_zoo", ignore=ignore)
    for name in ("setup.py", "README.md"):
        shutil.copy(REPOSITORY / name, runtime_source / name)
    weights_source = tmp_path / "weights"
    shutil.copytree(REPOSITORY / "weights", weights_source, ignore=ignore)

    runtime = _wheel(runtime_source, tmp_path / "runtime_wheel")
    weights = _wheel(weights_source, tmp_path / "weights_wheel")
    with zipfile.ZipFile(runtime) as archive:
        names = archive.namelist()
        assert "tfgan_zoo/pretrained/manifest.json" in names and "tfgan_zoo/assets/mnist_classifier.weights.h5" in names
        assert not [n for n in names if n.endswith(("saved_model.pb", ".data-00000-of-00001"))], "weights in the runtime wheel"
        assert sum(info.file_size for info in archive.infolist()) < 3 * 2**20
    with zipfile.ZipFile(weights) as archive:
        shipped = {n.split("/")[1] for n in archive.namelist() if n.endswith("/saved_model.pb")}
        from tfgan_zoo import pretrained

        assert shipped == set(pretrained.available())  # every shipped generator, and only those

    site = tmp_path / "site"  # what `pip install` of both wheels puts on sys.path
    for wheel in (runtime, weights):
        with zipfile.ZipFile(wheel) as archive:
            archive.extractall(site)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONHOME", "TFGAN_ZOO_WEIGHTS")}
    env["PYTHONPATH"] = str(site)
    result = subprocess.run([sys.executable, "-c", USE_INSTALLED_WHEELS, str(site)], capture_output=True, text=True,
                            env=env, cwd=str(tmp_path), timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    recorded = pretrained.info("gan_ring")["scores"]["modes_captured"]
    assert f"modes {recorded} (2500, 2)" in result.stdout
