"""load_run and load_comparison on real runs and on hand-made files."""

import math

import numpy as np
import pandas as pd
import pytest

import phasepinn
from conftest import BARE, BURGERS, write


def test_load_run_reads_every_file_of_a_real_run(burgers_run):
    r = burgers_run
    assert r.status == "completed"
    assert r.summary["pde"] == "burgers" and r.summary["steps"] == 40
    m = r.metrics
    assert list(m["step"]) == [0, 10, 20, 30, 40]
    assert m["step"].dtype == np.int64 and m["stage"].dtype == np.int64
    assert {"loss", "loss_residual", "weight_residual", "snr", "phase", "error_rel_l2"} <= set(m)
    assert list(r.predictions.columns) == ["x", "t", "u_pred", "u_ref", "abs_err"]
    assert len(r.predictions) > 0
    assert set(r.weights) == {"residual", "initial", "boundary"}
    assert list(r.weights["residual"].columns) == ["x", "t", "r", "w", "lambda"]
    assert len(r.weights["residual"]) == 200
    assert r.parameters.shape == (r.summary["parameters"],)
    assert r.config_text.startswith("# resolved")
    assert r.config["pde"]["type"] == "burgers"
    assert r.final["loss"] == pytest.approx(m["loss"].iloc[-1], rel=1e-9)


def test_missing_values_of_metrics_csv_are_real_nan(burgers_run):
    # both spellings phasepinn writes: "" (analyzer did not run that step)
    # and "nan" (ran, no value: lr after the last step, no diffusion yet)
    raw = (burgers_run.path / "metrics.csv").read_text().splitlines()
    header = raw[0].split(",")
    row10 = raw[2].split(",")
    last = raw[-1].split(",")
    assert row10[header.index("error_rel_l2")] == ""
    assert last[header.index("lr")] == "nan"
    m = burgers_run.metrics
    assert m["error_rel_l2"].dtype == np.float64
    assert m["error_rel_l2"].isna().tolist() == [False, True, False, True, False]
    assert math.isnan(m["lr"].iloc[-1]) and m["lr"].iloc[0] == 1e-3
    assert m["phase_diffusion_step"].isna().all()
    assert math.isnan(burgers_run.final["lr"])


def test_phases_are_names_in_a_real_run(burgers_run):
    phase = burgers_run.metrics["phase"]
    assert isinstance(phase.dtype, pd.CategoricalDtype)
    assert list(phase.cat.categories) == ["fitting", "diffusion", "equilibrium"]
    assert phase.notna().all() and set(phase) <= set(phasepinn.PHASE_NAMES)
    assert (phase == "fitting").iloc[0]
    assert burgers_run.phases == []


METRICS = """\
step,stage,loss,lr,phase,phase_equilibrium_step,error_rel_l2
0,0,1.5,0.001,0,nan,0.9
10,0,inf,0.001,1,nan,
20,1,-inf,0.001,,nan,
30,1,0.25,nan,2,30,0.1
"""


def fake_run(d, metrics=METRICS, summary='{"name": "fake", "status": "completed"}'):
    d.mkdir()
    write(d / "config.yaml", "name: fake\n")
    write(d / "metrics.csv", metrics)
    if summary is not None:
        write(d / "summary.json", summary)
    return d


def test_phase_codes_become_names_and_gaps_nan(tmp_path):
    m = phasepinn.load_run(fake_run(tmp_path / "r")).metrics
    assert m["phase"].tolist()[:2] == ["fitting", "diffusion"]
    assert pd.isna(m["phase"].iloc[2]) and m["phase"].iloc[3] == "equilibrium"
    assert (m["phase"] >= "diffusion").tolist() == [False, True, False, True]   # ordered
    assert m["loss"].tolist()[1:3] == [np.inf, -np.inf]
    assert m["error_rel_l2"].isna().tolist() == [False, True, True, False]
    assert m["phase_equilibrium_step"].isna().tolist() == [True, True, True, False]
    assert math.isnan(m["lr"].iloc[3])


def test_an_unknown_phase_code_is_an_error_naming_the_file(tmp_path):
    d = fake_run(tmp_path / "r", metrics="step,phase\n0,0\n10,7\n")
    with pytest.raises(ValueError, match=r"metrics\.csv:3: phase code 7"):
        phasepinn.load_run(d)
    d = fake_run(tmp_path / "s", metrics="step,phase\n0,0\n10,\n20,fit\n")
    with pytest.raises(ValueError, match=r"metrics\.csv:4: phase code 'fit'"):
        phasepinn.load_run(d)


def test_phases_txt_is_read_as_transitions(tmp_path):
    d = fake_run(tmp_path / "r")
    write(d / "phases.txt", "diffusion 120\nequilibrium 900\n")
    assert phasepinn.load_run(d).phases == [("diffusion", 120), ("equilibrium", 900)]
    write(d / "phases.txt", "diffusion soon\n")
    with pytest.raises(ValueError, match=r"phases\.txt:1"):
        phasepinn.load_run(d).phases


def test_an_incomplete_run_names_the_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such run directory"):
        phasepinn.load_run(tmp_path / "nowhere")
    d = fake_run(tmp_path / "r", summary=None)
    with pytest.raises(FileNotFoundError, match=r"summary\.json: no such file.*phasepinn resume"):
        phasepinn.load_run(d)
    r = phasepinn.load_run(d, allow_incomplete=True)
    assert r.summary is None and r.status is None and len(r.metrics) == 4
    with pytest.raises(FileNotFoundError, match=r"prediction\.csv: no such file.*error analyzer"):
        r.predictions
    with pytest.raises(FileNotFoundError, match=r"parameters\.txt"):
        r.parameters
    assert r.weights == {} and r.phases == []
    (d / "metrics.csv").unlink()
    with pytest.raises(FileNotFoundError, match=r"metrics\.csv: no such file"):
        phasepinn.load_run(d, allow_incomplete=True)
    (d / "config.yaml").unlink()
    with pytest.raises(FileNotFoundError, match=r"config\.yaml: no such file"):
        phasepinn.load_run(d, allow_incomplete=True)


def test_compare_of_two_files_goes_where_the_program_puts_it(exe, tmp_path):
    text = BARE.replace("iterations: 40", "iterations: 2")
    write(tmp_path / "a.v1.yaml", text.replace("name: tiny", "name: a"))
    write(tmp_path / "b.yaml", text.replace("name: tiny", "name: b"))
    c = phasepinn.compare(["a.v1.yaml", "b.yaml"], plot=False, phasepinn=exe, cwd=tmp_path)
    assert c.path == tmp_path / "runs" / "compare" and list(c.runs) == ["a", "b"]
    one = write(tmp_path / "pair.v2.yaml", "compare:\n  base: b.yaml\n  variants:\n"
                "    - {name: x}\n    - {name: y, seed: 8}\n")
    c = phasepinn.compare(one, plot=False, phasepinn=exe, cwd=tmp_path)
    assert c.path == tmp_path / "runs" / "pair" and list(c.runs) == ["x", "y"]


def test_weights_are_the_files_the_manifest_lists(burgers_run, tmp_path):
    import shutil
    d = tmp_path / "copy"
    shutil.copytree(burgers_run.path, d)
    write(d / "weights_mine.csv", "x,w\n0,1\n")      # the user's, not a term
    assert set(phasepinn.load_run(d).weights) == {"residual", "initial", "boundary"}
    (d / ".phasepinn-manifest").unlink()               # no manifest: every file
    assert "mine" in phasepinn.load_run(d).weights


def test_a_broken_summary_or_empty_metrics_is_an_error_naming_the_file(tmp_path):
    d = fake_run(tmp_path / "a", summary='{"status": ')
    with pytest.raises(ValueError, match=r"summary\.json:1:"):
        phasepinn.load_run(d)
    d = fake_run(tmp_path / "b", metrics="")
    with pytest.raises(ValueError, match=r"metrics\.csv: empty file"):
        phasepinn.load_run(d)


def test_compare_runs_variants_and_loads_the_table(exe, tmp_path):
    base = write(tmp_path / "base.yaml", BARE.replace("iterations: 40", "iterations: 10"))
    cmp = write(tmp_path / "two.yaml", f"""\
compare:
  base: {base.name}
  variants:
    - {{name: plain, weighting: {{type: none}}}}
    - {{name: rba, weighting: {{type: rba}}}}
""")
    c = phasepinn.compare(cmp, output=tmp_path / "out", plot=False, phasepinn=exe)
    assert list(c.runs) == ["plain", "rba"]
    assert c.runs["rba"].summary["weighting"] == "rba" and c.runs["plain"].status == "completed"
    assert list(c.table["variant"]) == ["plain", "rba"]
    # "-": a rel. L2 of 1e-3 was never reached in 10 steps
    assert c.table["steps_to_1e-3"].isna().all()
    assert c.table["rel_l2"].dtype == np.float64
    assert set(c.combined_metrics.columns) == {"variant", "step", "metric", "value"}
    with pytest.raises(FileNotFoundError, match="is a comparison: load_comparison"):
        phasepinn.load_run(tmp_path / "out")


def test_a_comparison_over_seeds_maps_each_variant_to_its_seeds(exe, tmp_path):
    base = write(tmp_path / "base.yaml", BARE.replace("iterations: 40", "iterations: 5"))
    cmp = write(tmp_path / "seeds.yaml", f"""\
compare:
  base: {base.name}
  seeds: [3, 1]
  variants:
    - {{name: plain, weighting: {{type: none}}}}
    - {{name: rba, weighting: {{type: rba}}}}
""")
    c = phasepinn.compare(cmp, output=tmp_path / "out", plot=False, phasepinn=exe)
    assert list(c.runs) == ["plain", "rba"]
    assert sorted(c.runs["rba"]) == [1, 3]
    assert c.runs["rba"][3].summary["seed"] == 3 and c.runs["plain"][1].status == "completed"
    assert len(c.seed_runs) == 4 and set(c.seed_runs["variant"]) == {"plain", "rba"}


def test_config_without_pyyaml_says_how_to_get_it(burgers_run, monkeypatch):
    import sys
    monkeypatch.setitem(sys.modules, "yaml", None)      # import yaml fails
    r = phasepinn.load_run(burgers_run.path)
    with pytest.raises(ImportError, match="python3-yaml.*config_text"):
        r.config
    assert "type: burgers" in r.config_text
