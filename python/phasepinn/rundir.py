"""Reading a phasepinn run directory and a comparison directory.

The files and their columns are those of README.md ("A run directory
holds") and core/rundir.h.  phasepinn writes every table as plain CSV: a
header row, fields cut at each comma, no quoting.  In metrics.csv a field
is empty where an analyzer did not run at that step and ``nan`` where it ran
and had no value (``phase_diffusion_step`` before diffusion was found, ``lr``
after the last step); both read as NaN here.
"""

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd

# The phases analyzer's codes (include/phasepinn/phases.h, pp_phase_name).
PHASE_NAMES = ("fitting", "diffusion", "equilibrium")

# What phasepinn writes for a missing value; nothing else counts as missing
# (pandas would otherwise also take "NA", "null", "None", ...).
_MISSING = ["", "nan", "-nan", "NaN"]

_RESUME_HINT = ("the run has not finished or was killed before writing it "
                "(phasepinn resume {dir} continues it); "
                "load_run({dir!r}, allow_incomplete=True) reads what is there")


def read_table(path):
    """A phasepinn CSV table as a DataFrame, missing values NaN, inf read as inf."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    try:
        # round_trip: the 17 digits of `predict` (%.17g) read back to the
        # same double; pandas' default fast parser may be an ulp off
        df = pd.read_csv(path, na_values=_MISSING, keep_default_na=False,
                         skip_blank_lines=True, float_precision="round_trip")
    except pd.errors.EmptyDataError:
        raise ValueError(f"{path}: empty file; expected a header row") from None
    df.columns = [str(c).strip() for c in df.columns]
    return df


def phase_names(codes, where="phase"):
    """The phases analyzer's codes (0, 1, 2; NaN where it did not run) as an
    ordered categorical of "fitting" < "diffusion" < "equilibrium".  A code
    that is none of them is a ValueError "WHERE:LINE: ..." (LINE counting
    the header as 1)."""
    raw = pd.Series(codes)
    numeric = pd.to_numeric(raw, errors="coerce")
    bad = (numeric.isna() & raw.notna()) | (numeric.notna() & ~numeric.isin(range(len(PHASE_NAMES))))
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise ValueError(f"{where}:{i + 2}: phase code {raw.iloc[i]!r} is not one of "
                         f"0 ({PHASE_NAMES[0]}), 1 ({PHASE_NAMES[1]}), 2 ({PHASE_NAMES[2]})")
    names = pd.Categorical.from_codes(numeric.fillna(-1).astype(int).to_numpy(),
                                      categories=list(PHASE_NAMES), ordered=True)
    return pd.Series(names, index=raw.index, name="phase")


def read_metrics(path):
    """metrics.csv: one row per logged step; ``phase`` as phase names."""
    df = read_table(path)
    if "phase" in df.columns:
        df["phase"] = phase_names(df["phase"], where=str(path))
    return df


def read_phases(path):
    """phases.txt: the transitions as (phase name, step) pairs, in order."""
    out = []
    with open(path, encoding="utf-8") as f:
        for line_no, line in enumerate(f, 1):
            fields = line.split()
            if not fields:
                continue
            if len(fields) != 2 or fields[0] not in PHASE_NAMES or not fields[1].isdigit():
                raise ValueError(f"{path}:{line_no}: expected '<phase> <step>', got {line.strip()!r}")
            out.append((fields[0], int(fields[1])))
    return out


def _require(path, hint=None):
    if not path.is_file():
        what = f"{path}: no such file"
        raise FileNotFoundError(what + (f"; {hint}" if hint else ""))
    return path


class Run:
    """A run directory as Python objects.  Tables are read when first used.

    Attributes: path, metrics, summary, status, predictions, weights,
    parameters, phases, config_path, config_text, config, model.
    """

    def __init__(self, path, allow_incomplete=False):
        self.path = Path(path)
        if not self.path.is_dir():
            raise FileNotFoundError(f"{self.path}: no such run directory")
        hint = _RESUME_HINT.format(dir=str(self.path))
        if (self.path / "comparison.csv").is_file() and not (self.path / "config.yaml").exists():
            raise FileNotFoundError(f"{self.path / 'config.yaml'}: no such file; {self.path} is a "
                                    f"comparison: load_comparison({str(self.path)!r})")
        self.config_path = _require(self.path / "config.yaml",
                                    "not a phasepinn run directory (phasepinn writes config.yaml first)")
        self.metrics = read_metrics(_require(self.path / "metrics.csv", hint))
        summary = self.path / "summary.json"
        if summary.is_file():
            with open(summary, encoding="utf-8") as f:
                try:
                    self.summary = json.load(f)
                except json.JSONDecodeError as e:
                    raise ValueError(f"{summary}:{e.lineno}:{e.colno}: {e.msg}") from None
        elif allow_incomplete:
            self.summary = None
        else:
            _require(summary, hint)
        self._cache = {}

    def __repr__(self):
        return (f"<phasepinn.Run {str(self.path)!r} status={self.status!r} "
                f"rows={len(self.metrics)}>")

    def _cached(self, key, make):
        if key not in self._cache:
            self._cache[key] = make()
        return self._cache[key]

    @property
    def name(self):
        return self.summary["name"] if self.summary else self.path.name

    @property
    def status(self):
        """"completed", "failed", "interrupted", or None without summary.json."""
        return self.summary.get("status") if self.summary else None

    @property
    def final(self):
        """The final value of every metric (summary.json's "final"; None is NaN)."""
        if not self.summary:
            return {}
        return {k: (np.nan if v is None else v) for k, v in self.summary.get("final", {}).items()}

    @property
    def predictions(self):
        """prediction.csv (the error analyzer's: inputs, <out>_pred, <out>_ref, abs_err)."""
        path = _require(self.path / "prediction.csv",
                        "the error analyzer writes it (analyzers: [{type: error}])")
        return self._cached("predictions", lambda: read_table(path))

    def _ours(self):
        """The paths the run's manifest lists (None without a manifest)."""
        manifest = self.path / ".phasepinn-manifest"
        if not manifest.is_file():
            return None
        lines = manifest.read_text(encoding="utf-8").splitlines()
        return {line for line in lines if line and not line.startswith("#")}

    @property
    def weights(self):
        """{term: DataFrame} from weights_<term>.csv: the final points with their
        residual r, loss weight w and the scheme's lambda.  Empty when none.
        Only the files the run's manifest lists: a user's own weights_x.csv
        beside them is not taken for a term."""
        def make():
            ours = self._ours()
            out = {}
            for p in sorted(self.path.glob("weights_*.csv")):
                if ours is not None and p.name not in ours:
                    continue
                if p.is_file() and not p.is_symlink():
                    out[p.name[len("weights_"):-len(".csv")]] = read_table(p)
            return out
        return self._cached("weights", make)

    @property
    def parameters(self):
        """parameters.txt: the network's final parameters, layer by layer."""
        path = _require(self.path / "parameters.txt")
        return self._cached("parameters",
                            lambda: np.loadtxt(path, comments="#", dtype=np.float64, ndmin=1))

    @property
    def phases(self):
        """phases.txt: [(phase name, step), ...]; [] without the phases analyzer."""
        path = self.path / "phases.txt"
        return self._cached("phases", lambda: read_phases(path) if path.is_file() else [])

    @property
    def config_text(self):
        """The experiment as it ran (config.yaml, every default explicit)."""
        return self._cached("config_text", lambda: self.config_path.read_text(encoding="utf-8"))

    @property
    def experiment_path(self):
        """The experiment file the run started from (summary.json "config")."""
        return self.summary.get("config") if self.summary else None

    @property
    def config(self):
        """config.yaml parsed into a dict (needs PyYAML: apt-get install python3-yaml)."""
        def make():
            try:
                import yaml
            except ImportError:
                raise ImportError("parsing config.yaml needs PyYAML (apt-get install python3-yaml); "
                                  "the text is in .config_text") from None
            return yaml.safe_load(self.config_text)
        return self._cached("config", make)

    @property
    def model(self):
        """The trained network of model.npz as a numpy evaluator (load_model)."""
        from .model import load_model
        return self._cached("model", lambda: load_model(self.path))


def load_run(path, allow_incomplete=False):
    """Read the run directory @path.  FileNotFoundError naming the file when
    config.yaml, metrics.csv or (unless @allow_incomplete) summary.json is
    missing."""
    return Run(os.fspath(path), allow_incomplete=allow_incomplete)


def _variant_runs(path, allow_incomplete):
    """A variant's Run, or {seed: Run} when it ran over seeds (DIR/<name>/seed-<s>/)."""
    seeds = sorted((p for p in path.glob("seed-*") if p.is_dir() and p.name[5:].isdigit()),
                   key=lambda p: int(p.name[5:]))
    if seeds and not (path / "summary.json").exists():
        return {int(p.name[5:]): load_run(p, allow_incomplete) for p in seeds}
    return load_run(path, allow_incomplete)


class Comparison:
    """A `phasepinn compare` directory: table (comparison.csv), runs
    ({variant: Run}, in the table's order; {variant: {seed: Run}} for a
    variant run over seeds), seed_runs (comparison_runs.csv, one row per
    run; None without seeds), combined_metrics."""

    def __init__(self, path, allow_incomplete=False):
        self.path = Path(path)
        if not self.path.is_dir():
            raise FileNotFoundError(f"{self.path}: no such comparison directory")
        table = _require(self.path / "comparison.csv",
                         "phasepinn compare writes it after the last variant")
        # "-" marks a value the variant never reached (steps to 1e-3, ...)
        self.table = pd.read_csv(table, na_values=_MISSING + ["-"], keep_default_na=False)
        self.runs = {str(v): _variant_runs(self.path / str(v), allow_incomplete)
                     for v in self.table["variant"]}
        per_run = self.path / "comparison_runs.csv"
        self.seed_runs = (pd.read_csv(per_run, na_values=_MISSING + ["-"], keep_default_na=False)
                          if per_run.exists() else None)
        self._combined = None

    def __repr__(self):
        return f"<phasepinn.Comparison {str(self.path)!r} variants={list(self.runs)}>"

    @property
    def combined_metrics(self):
        """combined_metrics.csv: variant, step, metric, value (long form)."""
        if self._combined is None:
            self._combined = read_table(self.path / "combined_metrics.csv")
        return self._combined


def load_comparison(path, allow_incomplete=False):
    """Read a `phasepinn compare` output directory."""
    return Comparison(os.fspath(path), allow_incomplete=allow_incomplete)
