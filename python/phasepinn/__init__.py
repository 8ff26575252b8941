"""phasepinn from Python: read run directories, evaluate trained models with
numpy, and drive the `phasepinn` program.  See python/README.md.

    import phasepinn
    run = phasepinn.load_run("runs/quickstart")
    run.metrics            # DataFrame: NaN where a value is missing, phase names as strings
    model = phasepinn.load_model("runs/quickstart")
    u = model([[0.0, 0.5], [0.5, 0.5]])
"""

from .cli import PhasepinnError, compare, find_phasepinn, predict, run
from .model import ARCHITECTURES, HARD_CONSTRAINTS, Model, load_model
from .rundir import PHASE_NAMES, Comparison, Run, load_comparison, load_run, read_table

__version__ = "0.1.0"

__all__ = ["load_run", "load_comparison", "load_model", "run", "compare", "predict",
           "find_phasepinn", "read_table", "Run", "Comparison", "Model", "PhasepinnError",
           "PHASE_NAMES", "ARCHITECTURES", "HARD_CONSTRAINTS"]
