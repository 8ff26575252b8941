"""A numpy evaluator of a run's model file, RUN_DIR/model.npz.

The format is docs/model-file.md: a ``metadata`` member (JSON) and float64
tensors (``features.B``, ``layer{l}.W``, ``layer{l}.b``).  Evaluating is
three steps, each a table lookup so that a new kind is one function:

- the embedding (identity, cos and sin features of B·x, as the engine
  computes them in core/network.c: the sum b·x taken input by input);
- the architecture, ARCHITECTURES[meta["architecture"]["type"]] ("mlp",
  "modified_mlp", "pirate"): features → the network's raw outputs N;
- the hard constraint of each output, HARD_CONSTRAINTS[type]: "none",
  "dirichlet_box" (value + d(x)·N).  A "transform" constraint is C code in
  the PDE plugin (g and d of an initial condition, say): evaluating such an
  output raises NotImplementedError naming phasepinn.predict() and
  `phasepinn predict`, which run the plugin; the other outputs and the raw
  network (Model.network) still evaluate.

The evaluator matches `phasepinn predict` to about 1e-14 (the dense layers'
sums are ordered differently by BLAS; np.tanh and libm's tanh differ by a
few ulp).
"""

import json
import math
import os
from pathlib import Path

import numpy as np

FORMAT = "phasepinn-model"
FORMAT_VERSION = 1

# ---- activations --------------------------------------------------------------

_erfc = np.frompyfunc(math.erfc, 1, 1)


def _gelu(z):
    # the engine's exact GELU, z·Φ(z) with Φ(z) = erfc(−z/√2)/2 (core/activation.c)
    phi = 0.5 * _erfc(-z * (1.0 / math.sqrt(2.0))).astype(np.float64)
    return z * phi


ACTIVATIONS = {"tanh": np.tanh, "sin": np.sin, "gelu": _gelu}

# ---- architectures: features (n, F) -> raw outputs N (n, n_outputs) --------------


def _mlp(model, h):
    """Dense layers with the activation between them, none after the last."""
    act = model.activation_fn
    n_layers = len(model.widths) - 1
    for layer in range(n_layers):
        h = h @ model.tensors[f"layer{layer}.W"].T + model.tensors[f"layer{layer}.b"]
        if layer < n_layers - 1:
            h = act(h)
    return h


def _check_mlp(model):
    widths = model.widths
    for layer in range(len(widths) - 1):
        model.tensor(f"layer{layer}.W", (widths[layer + 1], widths[layer]))
        model.tensor(f"layer{layer}.b", (widths[layer + 1],))


def _dense(model, name, h):
    return h @ model.tensors[f"{name}.W"].T + model.tensors[f"{name}.b"]


def _gates(model, phi):
    act = model.activation_fn
    return act(_dense(model, "gate_u", phi)), act(_dense(model, "gate_v", phi))


def _modified_mlp(model, phi):
    """Every hidden layer's a = σ(W·h + b) gated: h = a⊙U + (1 − a)⊙V, with
    U = σ(gate_u(φ)), V = σ(gate_v(φ)) (Wang, Teng & Perdikaris 2021)."""
    act, (u, v) = model.activation_fn, _gates(model, phi)
    n_layers = len(model.widths) - 1
    h = phi
    for layer in range(n_layers - 1):
        a = act(_dense(model, f"layer{layer}", h))
        h = a * u + (1 - a) * v
    return _dense(model, f"layer{n_layers - 1}", h)


def _pirate(model, phi):
    """Blocks of three layers: two gated as in _modified_mlp, the third's
    a mixed into the block's input x: α·a + (1 − α)·x (PirateNet)."""
    act, (u, v) = model.activation_fn, _gates(model, phi)
    n_layers = len(model.widths) - 1
    alpha = model.tensors["alpha"]
    x = phi
    for block in range(len(alpha)):
        h = x
        for pos in range(3):
            a = act(_dense(model, f"layer{3 * block + pos}", h))
            h = a * u + (1 - a) * v if pos < 2 else alpha[block] * a + (1 - alpha[block]) * x
        x = h
    return _dense(model, f"layer{n_layers - 1}", x)


def _check_gates(model):
    _check_mlp(model)
    widths = model.widths
    for name in ("gate_u", "gate_v"):
        model.tensor(f"{name}.W", (widths[1], widths[0]))
        model.tensor(f"{name}.b", (widths[1],))


def _check_pirate(model):
    _check_gates(model)
    blocks = (len(model.widths) - 2) // 3
    model.tensor("alpha", (blocks,))


# type -> (check(model), evaluate(model, features)).  A factorised network
# (architecture.factorized) stores W = diag(e^s)·V itself, so it evaluates
# like the unfactorised one.
ARCHITECTURES = {"mlp": (_check_mlp, _mlp), "modified_mlp": (_check_gates, _modified_mlp),
                 "pirate": (_check_pirate, _pirate)}

# ---- hard constraints: out_k from N_k and the points x --------------------------


def _hard_none(model, spec, x, n_k):
    return n_k


def _hard_box(model, spec, x, n_k):
    """value + d(x)·N_k, d = Π (x_i − lo_i)(hi_i − x_i)/((hi_i − lo_i)/2)², in
    input order like core/network.c's box_values."""
    d = np.ones(len(x))
    for i, lo, hi in sorted(zip(spec["input_index"], spec["lo"], spec["hi"])):
        sc = 0.25 * (hi - lo) * (hi - lo)
        d = d * ((x[:, i] - lo) * (hi - x[:, i]) / sc)
    return spec["value"] + d * n_k


def _hard_transform(model, spec, x, n_k):
    raise NotImplementedError(
        f"output {spec['output']!r} of {model.path}: its hard constraint is the {model.pde!r} "
        f"plugin's transform {spec.get('name')!r} (C code in the plugin), which numpy cannot "
        f"evaluate; use phasepinn.predict(run_dir, points_csv, out_csv) or "
        f"`phasepinn predict RUN_DIR --points FILE.csv --out FILE.csv`. "
        f"model(x, outputs=[...]) evaluates the other outputs, model.network(x) the raw network")


HARD_CONSTRAINTS = {"none": _hard_none, "dirichlet_box": _hard_box,
                    "transform": _hard_transform}

# ---- the model -------------------------------------------------------------------


class Model:
    """A trained phasepinn network.  ``model(x)`` evaluates its outputs.

    Attributes: path, meta (the metadata dict), tensors ({name: array}),
    pde, inputs, bounds ({input: (lo, hi)}), outputs, architecture,
    activation, widths, features (kinds), hard ({output: spec}),
    coefficients ({name: value}), step.
    """

    def __init__(self, path):
        self.path = Path(path)
        if not self.path.is_file():
            raise FileNotFoundError(f"{self.path}: no such file (every run writes model.npz "
                                    f"at its end; `phasepinn export RUN_DIR` rewrites it from "
                                    f"a checkpoint)")
        with np.load(self.path, allow_pickle=False) as z:
            self.tensors = {name: z[name] for name in z.files}
        if "metadata" not in self.tensors:
            raise ValueError(f"{self.path}: no 'metadata' member; not a phasepinn model file")
        self.meta = json.loads(self.tensors.pop("metadata").item())
        self._read_meta()

    def _bad(self, what):
        return ValueError(f"{self.path}: {what}")

    def tensor(self, name, shape):
        """The float64 tensor @name, checked to have @shape."""
        if name not in self.tensors:
            raise self._bad(f"missing tensor '{name}'")
        t = self.tensors[name]
        if t.dtype != np.float64 or t.shape != tuple(shape):
            raise self._bad(f"tensor '{name}' is {t.dtype} {t.shape}, expected float64 {tuple(shape)}")
        return t

    def _read_meta(self):
        m = self.meta
        if m.get("format") != FORMAT:
            raise self._bad(f"format {m.get('format')!r}, expected {FORMAT!r}")
        if not isinstance(m.get("format_version"), int) or m["format_version"] > FORMAT_VERSION:
            raise self._bad(f"format_version {m.get('format_version')!r}: this phasepinn package "
                            f"reads up to {FORMAT_VERSION}; update it")
        arch = m["architecture"]
        self.architecture = arch["type"]
        if self.architecture not in ARCHITECTURES:
            raise NotImplementedError(f"{self.path}: architecture {self.architecture!r} is not "
                                      f"known to this phasepinn package (known: "
                                      f"{', '.join(ARCHITECTURES)}); use `phasepinn predict`")
        self.activation = arch["activation"]
        if self.activation not in ACTIVATIONS:
            raise NotImplementedError(f"{self.path}: activation {self.activation!r} is not known "
                                      f"(known: {', '.join(ACTIVATIONS)})")
        self.activation_fn = ACTIVATIONS[self.activation]
        self.widths = [int(w) for w in arch["widths"]]
        self.pde = m.get("pde")
        self.inputs = [i["name"] for i in m["inputs"]]
        self.bounds = {i["name"]: (i["lo"], i["hi"]) for i in m["inputs"]}
        self.outputs = list(m["outputs"])
        self.features = list(m["embedding"]["features"])
        self.step = m.get("run", {}).get("step")
        self.coefficients = {c["name"]: c["value"] for c in m.get("coefficients", [])}
        n_in, n_feat = len(self.inputs), len(self.features)
        if self.widths[0] != n_feat or self.widths[-1] != len(self.outputs):
            raise self._bad(f"widths {self.widths} do not fit {n_feat} features and "
                            f"{len(self.outputs)} outputs")
        self._B = self.tensor("features.B", (n_feat, n_in))
        self._identity = np.zeros(n_feat, dtype=int)
        for j, kind in enumerate(self.features):
            if kind not in ("identity", "cos", "sin"):
                raise NotImplementedError(f"{self.path}: feature kind {kind!r} is not known")
            if kind == "identity":
                nz = np.flatnonzero(self._B[j])
                if len(nz) != 1 or self._B[j, nz[0]] != 1.0:
                    raise self._bad(f"identity feature {j}: row of features.B is not a unit vector")
                self._identity[j] = nz[0]
        ARCHITECTURES[self.architecture][0](self)
        hard = m.get("hard") or [{"output": o, "type": "none"} for o in self.outputs]
        if [h["output"] for h in hard] != self.outputs:
            raise self._bad(f"hard constraints name {[h['output'] for h in hard]}, "
                            f"outputs are {self.outputs}")
        for h in hard:
            if h["type"] not in HARD_CONSTRAINTS:
                raise NotImplementedError(f"{self.path}: output {h['output']!r}: hard constraint "
                                          f"type {h['type']!r} is not known; use `phasepinn predict`")
        self.hard = {h["output"]: h for h in hard}

    def __repr__(self):
        return (f"<phasepinn.Model {str(self.path)!r} {self.pde} {self.architecture} "
                f"{self.activation} widths={self.widths} inputs={self.inputs} "
                f"outputs={self.outputs}>")

    # ---- points ----

    def points(self, x):
        """@x as an (n, d) float64 array: an array (n, d) (or (n,) when d = 1, or
        one point of d values), a DataFrame or a dict with a column per input."""
        d = len(self.inputs)
        if hasattr(x, "columns") or isinstance(x, dict):
            missing = [name for name in self.inputs if name not in x]
            if missing:
                raise KeyError(f"points lack the input(s) {missing}; the model's inputs are "
                               f"{self.inputs}")
            x = np.column_stack([np.asarray(x[name], dtype=np.float64) for name in self.inputs])
        x = np.asarray(x, dtype=np.float64)
        if x.ndim == 1:
            x = x.reshape(-1, 1) if d == 1 else x.reshape(1, -1)
        if x.ndim != 2 or x.shape[1] != d:
            raise ValueError(f"points of shape {x.shape}: expected (n, {d}) with columns "
                             f"{self.inputs}")
        return x

    # ---- evaluation ----

    def embed(self, x):
        """The embedding features φ (n, F) of the points."""
        x = self.points(x)
        n_feat = len(self.features)
        out = np.empty((len(x), n_feat))
        for j, kind in enumerate(self.features):
            if kind == "identity":
                out[:, j] = x[:, self._identity[j]]
                continue
            a = np.zeros(len(x))
            for k in range(x.shape[1]):      # input by input, as the engine sums b·x
                a = a + self._B[j, k] * x[:, k]
            out[:, j] = np.cos(a) if kind == "cos" else np.sin(a)
        return out

    def network(self, x):
        """The network's raw outputs N (n, n_outputs), before hard constraints."""
        return ARCHITECTURES[self.architecture][1](self, self.embed(x))

    def __call__(self, x, outputs=None):
        """The outputs (n, len(outputs)) at the points, hard constraints applied,
        columns in the order of @outputs (default: every output)."""
        x = self.points(x)
        names = self.outputs if outputs is None else list(outputs)
        unknown = [o for o in names if o not in self.outputs]
        if unknown:
            raise KeyError(f"unknown output(s) {unknown}; the model's outputs are {self.outputs}")
        raw = self.network(x)
        cols = []
        for name in names:
            k = self.outputs.index(name)
            spec = self.hard[name]
            cols.append(HARD_CONSTRAINTS[spec["type"]](self, spec, x, raw[:, k]))
        return np.column_stack(cols) if cols else np.empty((len(x), 0))

    def frame(self, x, outputs=None):
        """A DataFrame of the points' inputs and the outputs (needs pandas)."""
        import pandas as pd
        x = self.points(x)
        names = self.outputs if outputs is None else list(outputs)
        values = self(x, names)
        data = {name: x[:, i] for i, name in enumerate(self.inputs)}
        data.update({name: values[:, i] for i, name in enumerate(names)})
        return pd.DataFrame(data)


def load_model(path):
    """The model of a run directory (its model.npz) or of an .npz file."""
    path = Path(os.fspath(path))
    if path.is_dir():
        path = path / "model.npz"
    return Model(path)
