"""Shipping trained generators: the SavedModel goes to the weights distribution (``weights/tfgan_zoo_weights``,
published as ``tfgan-zoo-weights``) and its entry, with the size and the SHA-256 of every file, to the runtime
package's manifest (``tfgan_zoo/pretrained/manifest.json``). The runtime package only reads both
(:mod:`tfgan_zoo.pretrained`); writing them is the benchmarks' business, here.

    python benchmarks/_shipping.py --check    # every manifest entry against the files in weights/
"""
from __future__ import annotations

import argparse
import dataclasses
import fcntl
import hashlib
import json
import os
import pathlib
import shutil
import sys
import tempfile

from tfgan_zoo import pretrained
from tfgan_zoo.export import export_generator

REPOSITORY = pathlib.Path(__file__).resolve().parents[1]


@dataclasses.dataclass(frozen=True)
class Destination:
    """Where a generator is shipped: the folder of SavedModels and the manifest that records them."""

    weights_dir: pathlib.Path
    manifest_path: pathlib.Path

    @classmethod
    def scratch(cls, folder):
        """A destination inside ``folder`` (SavedModels and ``manifest.json`` side by side), for trial shipping."""
        return cls(pathlib.Path(folder), pathlib.Path(folder) / "manifest.json")


# The repository's: the weights distribution and the runtime package's manifest.
REPOSITORY_DESTINATION = Destination(REPOSITORY / "weights" / "tfgan_zoo_weights",
                                     REPOSITORY / "tfgan_zoo" / "pretrained" / "manifest.json")


def save_generator(generator, path, latent_dim, latent_distribution="normal", num_classes=None):
    """Writes ``generator`` as the shipped SavedModels are written: :func:`tfgan_zoo.export.export_generator`
    (``serving_default(z)`` and ``sample(count, seed)`` with ``z ~ N(0, I)``, or U(-1, 1) with
    ``latent_distribution="uniform"``; with ``num_classes``, a class-conditional generator of ``[z, labels]``
    whose signatures take labels too; each weight stored once)."""
    return export_generator(generator, path, latent_dim, latent_distribution, num_classes=num_classes)


def install_generator(staged, name, entry, destination=REPOSITORY_DESTINATION):
    """Ships the SavedModel folder ``staged`` (from :func:`save_generator`) as ``destination.weights_dir/name``,
    replacing any earlier one, and records ``entry`` plus its ``size_bytes`` and the ``sha256`` of every file
    (:func:`tfgan_zoo.pretrained.file_digests`) in the destination's manifest (:func:`record_in_manifest`).
    Returns the recorded entry."""
    target = pathlib.Path(destination.weights_dir) / name
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        shutil.rmtree(target)
    shutil.move(str(staged), str(target))
    for empty in sorted((d for d in target.rglob("*") if d.is_dir()), reverse=True):
        if not any(empty.iterdir()):
            empty.rmdir()  # git keeps no empty folder (a SavedModel's assets/): ship what a clone will hold
    return record_in_manifest(name, {**entry, **_file_facts(target)}, destination.manifest_path)


def _file_facts(folder):
    return {"size_bytes": sum(f.stat().st_size for f in folder.rglob("*") if f.is_file()),
            "sha256": pretrained.file_digests(folder)}


def record_in_manifest(name, entry, manifest_path=REPOSITORY_DESTINATION.manifest_path):
    """Adds (or replaces) the manifest entry of the shipped generator ``name``, under an exclusive file lock so
    that benchmarks shipping generators at the same time do not lose each other's entries."""
    manifest_path = pathlib.Path(manifest_path).resolve()
    # the lock lives outside the repository, so that it is never shipped
    key = hashlib.sha1(str(manifest_path).encode()).hexdigest()[:12]
    with open(pathlib.Path(tempfile.gettempdir()) / f"tfgan_zoo_manifest_{key}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
        manifest["fid_protocol"] = pretrained.FID_PROTOCOL
        manifest.setdefault("generators", {})[name] = entry
        manifest["generators"] = dict(sorted(manifest["generators"].items()))
        temporary = manifest_path.with_suffix(".json.tmp")
        temporary.write_text(json.dumps(manifest, indent=1) + "\n")
        os.replace(temporary, manifest_path)  # readers never see a half-written manifest
    return entry


def check(destination=REPOSITORY_DESTINATION):
    """The manifest entries whose files in ``destination.weights_dir`` differ from their recorded size or SHA-256,
    as ``{name: reason}`` (empty when every shipped generator matches)."""
    manifest = json.loads(pathlib.Path(destination.manifest_path).read_text())["generators"]
    problems = {}
    for name, entry in manifest.items():
        folder = pathlib.Path(destination.weights_dir) / name
        if not folder.is_dir():
            problems[name] = "no folder"
            continue
        facts = _file_facts(folder)
        for key in ("size_bytes", "sha256"):
            if entry.get(key) != facts[key]:
                problems[name] = f"{key} differs from the manifest"
    return problems


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="compare every manifest entry with its files")
    args = parser.parse_args(argv)
    if not args.check:
        parser.error("nothing to do: pass --check (generators are shipped by zoo_mnist.py and toy_coverage.py --ship)")
    problems = check()
    for name, reason in sorted(problems.items()):
        print(f"{name}: {reason}")
    print(f"{len(problems)} of the manifest's generators differ from their files" if problems else
          "every shipped generator matches the manifest")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
