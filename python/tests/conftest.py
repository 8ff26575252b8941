"""Shared fixtures: the phasepinn program and one short real run.

meson test passes the build tree's program in PHASEPINN and the package in
PYTHONPATH; by hand (/usr/bin/python3 -m pytest python/tests) the program
is looked for in build/ of this checkout.
"""

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "python"))

import phasepinn  # noqa: E402


@pytest.fixture(scope="session")
def exe():
    path = os.environ.get("PHASEPINN") or str(ROOT / "build" / "phasepinn")
    if not os.access(path, os.X_OK):
        pytest.skip(f"no phasepinn program at {path} (set PHASEPINN or build with ninja -C build)")
    return path


# Burgers, RBA, a tiny network, 40 Adam steps: every analyzer whose output
# load_run reads (snr, phases, error -> prediction.csv), ~1 s.
BURGERS = """\
name: tiny
seed: 7
threads: 1
pde:
  type: burgers
  terms:
    residual: {points: 200}
    initial: {points: 40}
    boundary: {points: 40}
network:
  layers: [8, 8]
  activation: tanh
weighting:
  type: rba
stages:
  - optimizer: adam
    iterations: 40
    lr: 1.0e-3
analyzers:
  - {type: snr, every: 10}
  - {type: phases, every: 10}
  - {type: error, every: 20}
logging:
  every: 10
  plot: false
checkpoint:
  every: 0
"""


# The same without analyzers (no reference solution to compute): ~0.3 s.
BARE = BURGERS[:BURGERS.index("analyzers:")] + BURGERS[BURGERS.index("logging:"):]


def write(path, text):
    path = Path(path)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def burgers_run(exe, tmp_path_factory):
    """The tiny Burgers run, made once through phasepinn.run()."""
    d = tmp_path_factory.mktemp("burgers")
    config = write(d / "tiny.yaml", BURGERS)
    return phasepinn.run(config, output=d / "run", phasepinn=exe)
