"""load_model on model files made here with numpy, in the layout of
docs/model-file.md: the evaluation rule checked point by point against a
plain loop, and the files it must refuse."""

import json
import math

import numpy as np
import pytest

import phasepinn


def meta_for(widths, features, hard, activation="tanh", arch="mlp", version=1):
    return {
        "format": "phasepinn-model", "format_version": version, "phasepinn_version": "0.1.0",
        "pde": "fake",
        "inputs": [{"name": "x", "lo": -1, "hi": 1}, {"name": "t", "lo": 0, "hi": 2}],
        "time_input": "t", "outputs": ["u", "v"],
        "architecture": {"type": arch, "activation": activation, "widths": widths,
                         "tensors": []},
        "embedding": {"features": features, "periodic": None, "random_fourier": None},
        "hard": hard, "coefficients": [{"name": "nu", "value": 0.5, "trainable": False}],
        "parameters": 0, "run": {"name": "fake", "experiment": "fake.yaml", "step": 12},
        "started_from": None,
    }


FEATURES = ["identity", "identity", "cos", "sin"]
B = np.array([[1.0, 0.0], [0.0, 1.0], [3.0, -0.5], [3.0, -0.5]])
BOX = {"output": "v", "type": "dirichlet_box", "inputs": ["x", "t"], "input_index": [0, 1],
       "value": 0.25, "lo": [-1, 0], "hi": [1, 2]}


def make(path, activation="tanh", hard=None, meta_edit=None, tensors_edit=None, seed=1):
    rng = np.random.default_rng(seed)
    widths = [4, 5, 3, 2]
    tensors = {"features.B": B}
    for layer in range(3):
        tensors[f"layer{layer}.W"] = rng.normal(size=(widths[layer + 1], widths[layer]))
        tensors[f"layer{layer}.b"] = rng.normal(size=widths[layer + 1])
    hard = hard or [{"output": "u", "type": "none"}, BOX]
    meta = meta_for(widths, FEATURES, hard, activation)
    if meta_edit:
        meta_edit(meta)
    if tensors_edit:
        tensors_edit(tensors)
    np.savez(path, metadata=np.array(json.dumps(meta)), **tensors)
    return tensors


ACT = {"tanh": math.tanh, "sin": math.sin,
       "gelu": lambda z: z * 0.5 * math.erfc(-z / math.sqrt(2))}


def by_hand(tensors, activation, point):
    """The rule of docs/model-file.md for one point, in plain Python."""
    x, t = point
    a = 3.0 * x - 0.5 * t
    h = [x, t, math.cos(a), math.sin(a)]
    for layer in range(3):
        W, b = tensors[f"layer{layer}.W"], tensors[f"layer{layer}.b"]
        h = [sum(W[i, j] * h[j] for j in range(len(h))) + b[i] for i in range(len(b))]
        if layer < 2:
            h = [ACT[activation](v) for v in h]
    d = (x + 1) * (1 - x) / 1.0 * (t - 0) * (2 - t) / 1.0
    return [h[0], 0.25 + d * h[1]]


@pytest.mark.parametrize("activation", ["tanh", "sin", "gelu"])
def test_the_evaluator_follows_the_documented_rule(tmp_path, activation):
    tensors = make(tmp_path / "m.npz", activation)
    model = phasepinn.load_model(tmp_path / "m.npz")
    pts = np.random.default_rng(2).uniform([-1, 0], [1, 2], size=(20, 2))
    got = model(pts)
    want = np.array([by_hand(tensors, activation, p) for p in pts])
    assert got.shape == (20, 2)
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-13)
    assert model.inputs == ["x", "t"] and model.outputs == ["u", "v"] and model.step == 12
    assert model.coefficients == {"nu": 0.5} and model.bounds["t"] == (0, 2)


def test_points_go_in_as_arrays_frames_or_dicts(tmp_path):
    make(tmp_path / "m.npz")
    model = phasepinn.load_model(tmp_path / "m.npz")
    pts = np.array([[0.1, 0.3], [-0.5, 1.5]])
    want = model(pts)
    np.testing.assert_array_equal(model({"t": pts[:, 1], "x": pts[:, 0]}), want)
    np.testing.assert_allclose(model(pts[0]), want[:1], rtol=1e-14)   # gemv, not gemm
    np.testing.assert_array_equal(model(pts, outputs=["v"]), want[:, 1:])
    frame = model.frame(pts)
    assert list(frame.columns) == ["x", "t", "u", "v"]
    np.testing.assert_array_equal(frame[["u", "v"]].to_numpy(), want)
    with pytest.raises(ValueError, match=r"expected \(n, 2\)"):
        model(np.zeros((3, 3)))
    with pytest.raises(KeyError, match="lack the input"):
        model({"x": [0.0]})
    with pytest.raises(KeyError, match="unknown output"):
        model(pts, outputs=["w"])


def test_a_box_constraint_holds_exactly_on_the_faces(tmp_path):
    make(tmp_path / "m.npz")
    model = phasepinn.load_model(tmp_path / "m.npz")
    faces = np.array([[-1.0, 0.7], [1.0, 0.2], [0.3, 0.0], [-0.4, 2.0]])
    assert model(faces, outputs=["v"]).ravel().tolist() == [0.25] * 4
    assert not np.allclose(model.network(faces)[:, 1], 0.25)


def test_a_plugin_transform_is_refused_for_its_output_only(tmp_path):
    hard = [{"output": "u", "type": "transform", "name": "initial"}, BOX]
    make(tmp_path / "m.npz", hard=hard)
    model = phasepinn.load_model(tmp_path / "m.npz")
    pts = np.array([[0.1, 0.3]])
    with pytest.raises(NotImplementedError, match=r"transform 'initial'.*phasepinn predict"):
        model(pts)
    assert model(pts, outputs=["v"]).shape == (1, 1)
    assert model.network(pts).shape == (1, 2)


def test_files_it_cannot_evaluate_are_refused_with_the_reason(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"model\.npz: no such file"):
        phasepinn.load_model(tmp_path)
    cases = [
        (NotImplementedError, r"architecture 'resnet' is not known",
         dict(meta_edit=lambda m: m["architecture"].update(type="resnet"))),
        (ValueError, r"format_version 2",
         dict(meta_edit=lambda m: m.update(format_version=2))),
        (NotImplementedError, r"activation 'relu'",
         dict(meta_edit=lambda m: m["architecture"].update(activation="relu"))),
        (ValueError, r"tensor 'layer1.W' is float64 \(3, 4\), expected float64 \(3, 5\)",
         dict(tensors_edit=lambda t: t.update({"layer1.W": np.zeros((3, 4))}))),
        (ValueError, r"missing tensor 'layer2.b'",
         dict(tensors_edit=lambda t: t.pop("layer2.b"))),
        (NotImplementedError, r"hard constraint type 'neumann'",
         dict(hard=[{"output": "u", "type": "neumann"}, BOX])),
        (ValueError, r"identity feature 0: row of features.B is not a unit vector",
         dict(tensors_edit=lambda t: t.update({"features.B": B * 2}))),
    ]
    for i, (kind, message, edits) in enumerate(cases):
        path = tmp_path / f"bad{i}.npz"
        make(path, **edits)
        with pytest.raises(kind, match=message):
            phasepinn.load_model(path)
    np.savez(tmp_path / "plain.npz", a=np.zeros(2))
    with pytest.raises(ValueError, match="no 'metadata' member"):
        phasepinn.load_model(tmp_path / "plain.npz")
