"""Shared pieces of the reference-set generators (gen_*.py): where the original sources and the shipped fixtures
are, the safetensors reader/writer, and an alternate fixtures folder that reuses every shipped file a set does not
replace. The generators import the ORIGINAL modules (extracted by checkouts.sh into orig/, never committed) and
only drive them; no original source is copied here."""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
ORIG = os.path.join(HERE, "orig")
SHIPPED = os.path.normpath(os.path.join(REPO, "..", "shared", "fixtures"))

sys.path.insert(0, os.path.join(REPO, "bench", "gpu"))
from tiny_weights import read_safetensors, write_safetensors  # noqa: E402,F401  (one implementation for both tools)


def orig(name):
    """Path of an extracted original project (ControlNet, gmflow, Rerender_A_Video, CLIP, einops)."""
    path = os.path.join(ORIG, name)
    if not os.path.isdir(path):
        sys.exit(f"{path} is missing: run tools/refgen/checkouts.sh first")
    return path


def alt_dir(dest, shipped=SHIPPED):
    """Makes dest a fixtures folder that links every shipped file (same sub-folders), so a generator only writes
    the files of its own set; writing replaces a link by a real file. Returns dest."""
    for root, _dirs, files in os.walk(shipped):
        rel = os.path.relpath(root, shipped)
        os.makedirs(os.path.join(dest, rel), exist_ok=True)
        for f in files:
            link = os.path.join(dest, rel, f)
            if not os.path.lexists(link):
                os.symlink(os.path.join(root, f), link)
    return dest


def replace(path):
    """Removes a link left by alt_dir so the file can be written without touching the shipped original."""
    if os.path.islink(path):
        os.unlink(path)
    return path
