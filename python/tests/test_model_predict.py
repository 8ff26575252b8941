"""load_model against `phasepinn predict` on real runs: every embedding
(identity, periodic, random Fourier), every activation, several outputs,
dirichlet_box constraints, the modified MLP (factorised) and PirateNet, and
the plugin transform it must refuse."""

import numpy as np
import pytest

import phasepinn
from conftest import write

TOL = 1e-12

# Three runs of 3 steps each (< 1 s together): what the model file records
# is the point, not the training.
COMMON = """\
seed: 3
threads: 1
weighting: {type: none}
stages:
  - {optimizer: adam, iterations: 3, lr: 1.0e-2}
logging: {every: 1, plot: false}
checkpoint: {every: 0}
"""

CONFIGS = {
    # exact periodic features of x (2 harmonics) and random Fourier ones; GELU
    "fourier": """\
pde:
  type: allen_cahn
  periodic: embed
  terms: {residual: {points: 100}, initial: {points: 20}}
network:
  layers: [6, 6]
  activation: gelu
  embedding:
    periodic: {harmonics: 2}
    random_fourier: {features: 4, scale: 2}
""",
    # three outputs, two of them through box constraints; sin
    "box": """\
pde:
  type: cavity
  re: 100
  terms: {residual: {points: 100}, lid: {points: 20}, walls: {points: 20}}
network:
  layers: [6, 6]
  activation: sin
  hard:
    u: {type: dirichlet_box, inputs: [y], value: 0.5}
    p: {type: dirichlet_box, inputs: [x, y], value: -0.25}
""",
    # the gated architectures, with factorised weights
    "modified": """\
pde:
  type: heat
  terms: {residual: {points: 100}}
network:
  type: modified_mlp
  layers: [6, 6]
  factorization: true
""",
    "pirate": """\
pde:
  type: heat
  terms: {residual: {points: 100}}
network:
  type: pirate
  width: 6
  blocks: 2
  embedding:
    random_fourier: {features: 3, scale: 1}
""",
    # the burgers plugin's initial-condition transform
    "transform": """\
pde:
  type: burgers
  terms: {residual: {points: 100}, initial: {points: 20, enabled: false}, boundary: {points: 20}}
network:
  layers: [6, 6]
  hard: {u: initial}
""",
}


@pytest.fixture(scope="module")
def runs(exe, burgers_run, tmp_path_factory):
    d = tmp_path_factory.mktemp("models")
    out = {"tanh": burgers_run}
    for name, text in CONFIGS.items():
        config = write(d / f"{name}.yaml", f"name: {name}\n" + COMMON + text)
        out[name] = phasepinn.run(config, output=d / name, phasepinn=exe)
    return out


def points_for(model, n=300, seed=0):
    """Random points in the box, its corners and points on every face."""
    rng = np.random.default_rng(seed)
    lo = np.array([model.bounds[i][0] for i in model.inputs], dtype=float)
    hi = np.array([model.bounds[i][1] for i in model.inputs], dtype=float)
    pts = [rng.uniform(lo, hi, size=(n, len(lo)))]
    for i in range(len(lo)):
        for end in (lo[i], hi[i]):
            face = rng.uniform(lo, hi, size=(5, len(lo)))
            face[:, i] = end
            pts.append(face)
    pts.append(np.array(np.meshgrid(*zip(lo, hi))).reshape(len(lo), -1).T)
    return np.vstack(pts)


@pytest.mark.parametrize("name", ["tanh", "fourier", "box", "modified", "pirate"])
def test_the_evaluator_matches_predict_on_the_same_points(runs, exe, name, tmp_path):
    run = runs[name]
    model = run.model
    pts = points_for(model)
    table = phasepinn.predict(run.path, points=pts, out=tmp_path / "p.csv", phasepinn=exe)
    assert list(table.columns) == model.inputs + model.outputs
    np.testing.assert_array_equal(table[model.inputs].to_numpy(), pts)
    ours = model(pts)
    theirs = table[model.outputs].to_numpy()
    assert ours.shape == theirs.shape == (len(pts), len(model.outputs))
    assert np.max(np.abs(ours - theirs)) <= TOL * max(1.0, np.max(np.abs(theirs)))


def test_the_runs_record_what_the_evaluator_must_handle(runs):
    fourier, box = runs["fourier"].model, runs["box"].model
    assert fourier.activation == "gelu" and "identity" not in fourier.features
    assert fourier.meta["embedding"]["periodic"]["harmonics"] == 2
    assert fourier.meta["embedding"]["random_fourier"]["features"] == 4
    assert box.activation == "sin" and box.outputs == ["u", "v", "p"]
    assert [box.hard[o]["type"] for o in box.outputs] == ["dirichlet_box", "none", "dirichlet_box"]


def test_box_outputs_take_their_value_on_their_faces(runs):
    model = runs["box"].model
    faces = np.array([[0.3, 0.0], [0.7, 1.0], [0.0, 0.4], [1.0, 0.6]])
    out = model.frame(faces)
    assert out["u"].tolist()[:2] == [0.5, 0.5]             # u: faces of y only
    assert out["p"].tolist() == [-0.25] * 4                # p: every face


def test_a_plugin_transform_is_refused_and_predict_evaluates_it(runs, exe, tmp_path):
    run = runs["transform"]
    model = run.model
    pts = points_for(model, n=20)
    with pytest.raises(NotImplementedError, match=r"'burgers' plugin's transform 'initial'"):
        model(pts)
    table = phasepinn.predict(run.path, points={"x": pts[:, 0], "t": pts[:, 1]},
                              phasepinn=exe)
    # u = g(x) + t·N for burgers' initial transform: at t = 0 u is -sin(pi x)
    at0 = table[table["t"] == 0]
    assert len(at0) > 0
    np.testing.assert_allclose(at0["u"], -np.sin(np.pi * at0["x"]), atol=1e-15)
    assert model.network(pts).shape == (len(pts), 1)


def test_predict_on_a_grid_and_its_errors(runs, exe, tmp_path):
    run = runs["tanh"]
    grid = phasepinn.predict(run.path, grid="7x5", phasepinn=exe)
    assert len(grid) == 35
    np.testing.assert_allclose(run.model(grid[["x", "t"]]), grid[["u"]], rtol=0, atol=TOL)
    with pytest.raises(ValueError, match="points or grid"):
        phasepinn.predict(run.path, phasepinn=exe)
    bad = write(tmp_path / "bad.csv", "x,t\n0.1,0.2\n0.3,oops\n")
    with pytest.raises(phasepinn.PhasepinnError, match=r"bad\.csv:3"):
        phasepinn.predict(run.path, points=bad, phasepinn=exe)
