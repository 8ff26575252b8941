"""Running the `phasepinn` program from Python: run(), compare(), predict().

The program is found, in order, from the ``phasepinn=`` argument, the
environment variable PHASEPINN, then PATH.  A non-zero exit raises
PhasepinnError carrying the exit code and what the program printed on
stderr (its messages name the file, line and column of a configuration
error).
"""

import os
import re
import shutil
import subprocess
from pathlib import Path

from .rundir import load_comparison, load_run, read_table


class PhasepinnError(RuntimeError):
    """`phasepinn` exited non-zero: .returncode (1 the run failed, 2 usage or
    configuration), .stderr, .command."""

    def __init__(self, command, returncode, stderr):
        self.command = list(command)
        self.returncode = returncode
        self.stderr = stderr
        what = {1: "the run failed", 2: "usage or configuration error"}.get(returncode, "failed")
        text = stderr.strip() or "(nothing on stderr)"
        super().__init__(f"{' '.join(self.command)}: exit {returncode} ({what}):\n{text}")


def find_phasepinn(phasepinn=None):
    """The path of the `phasepinn` program: @phasepinn, $PHASEPINN, or PATH."""
    for candidate, origin in ((phasepinn, "the phasepinn argument"),
                              (os.environ.get("PHASEPINN"), "PHASEPINN")):
        if candidate:
            path = shutil.which(os.fspath(candidate))
            if not path:
                raise FileNotFoundError(f"{candidate} (from {origin}): not an executable program")
            return path
    path = shutil.which("phasepinn")
    if not path:
        raise FileNotFoundError("phasepinn program not found: pass phasepinn=PATH, set PHASEPINN=PATH, "
                                "or put it on PATH (it is build/phasepinn after ninja -C build)")
    return path


def _call(args, phasepinn=None, plugin_dirs=(), cwd=None, timeout=None):
    """Run the program with @args; its stdout on success, PhasepinnError otherwise."""
    command = [find_phasepinn(phasepinn)]
    for d in plugin_dirs:
        command += ["--plugin-dir", os.fspath(d)]
    command += [os.fspath(a) for a in args]
    proc = subprocess.run(command, cwd=cwd, stdin=subprocess.DEVNULL, capture_output=True,
                          text=True, timeout=timeout)
    if proc.returncode != 0:
        raise PhasepinnError(command, proc.returncode, proc.stderr)
    return proc.stdout


def _resolve(path, cwd):
    path = Path(path)
    return path if path.is_absolute() else Path(cwd or os.getcwd()) / path


def _common(force, quiet, plot):
    return (["--force"] if force else []) + (["--quiet"] if quiet else []) + \
           ([] if plot else ["--no-plot"])


def run(config, output=None, force=False, plot=True, quiet=True, phasepinn=None,
        plugin_dirs=(), cwd=None, timeout=None, check=True):
    """`phasepinn run CONFIG` and load_run() of its run directory.

    @output: the run directory (--output; default the experiment's own
    output:, which `phasepinn check` reports).  @force, @plot, @quiet: the
    CLI's --force, --no-plot (plot=False) and --quiet.  @cwd: the directory
    the program runs in (relative paths are relative to it).  With
    check=False a run that failed (exit 1) is returned rather than raised,
    when its directory exists.
    """
    if output is None:
        line = _call(["check", config], phasepinn, plugin_dirs, cwd, timeout)
        m = re.search(r", output (.+)$", line.strip())
        if not m:
            raise RuntimeError(f"phasepinn check {config}: no output directory in {line.strip()!r}")
        output = m.group(1)
    args = ["run", config, "--output", output] + _common(force, quiet, plot)
    try:
        _call(args, phasepinn, plugin_dirs, cwd, timeout)
    except PhasepinnError as e:
        if check or e.returncode != 1 or not _resolve(output, cwd).is_dir():
            raise
    return load_run(_resolve(output, cwd), allow_incomplete=not check)


def compare(configs, output=None, force=False, plot=True, quiet=True, phasepinn=None,
            plugin_dirs=(), cwd=None, timeout=None):
    """`phasepinn compare`: @configs is one compare file (compare: {base,
    variants}) or a list of experiment files.  Returns load_comparison() of
    the output directory (default runs/<compare file's name>, or
    runs/compare for a list), whose .runs maps each variant to its Run."""
    if isinstance(configs, (str, os.PathLike)):
        configs = [configs]
    configs = list(configs)
    if not configs:
        raise ValueError("compare: no experiment files")
    if output is None:
        # the program's defaults (cli/compare.c): the file name up to its first dot
        output = ("runs/" + Path(configs[0]).name.split(".")[0]) if len(configs) == 1 \
            else "runs/compare"
    args = ["compare"] + configs + ["--output", output] + _common(force, quiet, plot)
    _call(args, phasepinn, plugin_dirs, cwd, timeout)
    return load_comparison(_resolve(output, cwd))


def _write_points(points, path, run_dir):
    """@points (DataFrame, dict of columns, or an (n, d) array in the order
    of the model's inputs) as a CSV file phasepinn reads, exactly (repr)."""
    if hasattr(points, "columns") or isinstance(points, dict):
        names = [str(c) for c in points]
        columns = [list(points[c]) for c in points]
    else:
        from .model import load_model
        names = load_model(run_dir).inputs
        import numpy as np
        arr = np.asarray(points, dtype=np.float64).reshape(-1, len(names))
        columns = [arr[:, i] for i in range(len(names))]
    with open(path, "w", encoding="utf-8") as f:
        f.write(",".join(names) + "\n")
        for row in zip(*columns):
            f.write(",".join(repr(float(v)) for v in row) + "\n")


def predict(run_dir, points=None, out=None, grid=None, derivatives=(), phasepinn=None,
            plugin_dirs=(), cwd=None, timeout=None):
    """`phasepinn predict RUN_DIR (--points P | --grid NxM) [--derivatives ...]
    --out OUT` and the table it wrote (inputs, outputs, derivatives).

    @points: a CSV file, or the points themselves (a DataFrame or dict with
    a column per input, or an (n, d) array in the model's input order);
    @grid: "NxM".  @out: where the table goes (default a temporary file,
    removed after reading).  The way to evaluate outputs whose hard
    constraint is a PDE plugin's transform, which load_model refuses, and
    derivative channels (u_x, u_xx, ...).
    """
    import tempfile
    if (points is None) == (grid is None):
        raise ValueError("predict: give points or grid, not both or neither")
    with tempfile.TemporaryDirectory(prefix="phasepinn-predict-") as tmp:
        args = ["predict", run_dir]
        if grid is not None:
            args += ["--grid", grid]
        elif isinstance(points, (str, os.PathLike)):
            args += ["--points", points]
        else:
            path = os.path.join(tmp, "points.csv")
            _write_points(points, path, _resolve(run_dir, cwd))
            args += ["--points", path]
        target = out if out is not None else os.path.join(tmp, "predicted.csv")
        args += ["--out", target]
        if derivatives:
            args += ["--derivatives", ",".join(derivatives)]
        _call(args, phasepinn, plugin_dirs, cwd, timeout)
        return read_table(_resolve(target, cwd))
