"""Finding the program and its errors."""

import pytest

import phasepinn
from conftest import BARE, write


def test_run_without_output_goes_where_the_experiment_says(exe, tmp_path):
    config = write(tmp_path / "e.yaml", BARE.replace("iterations: 40", "iterations: 2")
                   + "output: elsewhere/e\n")
    r = phasepinn.run(config, phasepinn=exe, cwd=tmp_path)
    assert r.path == tmp_path / "elsewhere" / "e" and r.status == "completed"


def test_a_configuration_error_raises_with_the_programs_message(exe, tmp_path):
    config = write(tmp_path / "bad.yaml", BARE.replace("activation: tanh", "activatoin: tanh"))
    with pytest.raises(phasepinn.PhasepinnError) as e:
        phasepinn.run(config, output=tmp_path / "out", phasepinn=exe)
    assert e.value.returncode == 2
    assert "unknown key 'activatoin'" in e.value.stderr
    assert "bad.yaml:" in str(e.value) and "exit 2" in str(e.value)
    assert not (tmp_path / "out").exists()


def test_the_program_is_found_from_argument_environment_then_path(exe, tmp_path, monkeypatch):
    monkeypatch.setenv("PHASEPINN", exe)
    assert phasepinn.find_phasepinn() == exe
    with pytest.raises(FileNotFoundError, match="from the phasepinn argument"):
        phasepinn.find_phasepinn(tmp_path / "nope")
    monkeypatch.setenv("PHASEPINN", str(tmp_path / "nope"))
    with pytest.raises(FileNotFoundError, match=r"from PHASEPINN"):
        phasepinn.find_phasepinn()
    monkeypatch.delenv("PHASEPINN")
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(FileNotFoundError, match="phasepinn program not found"):
        phasepinn.run(tmp_path / "x.yaml")


def test_a_failed_run_raises_or_with_check_false_is_returned(exe, tmp_path):
    # SGD at lr 1e6 with GELU: the loss is not finite at step 2 (exit 1)
    config = write(tmp_path / "blow.yaml", BARE.replace("optimizer: adam", "optimizer: sgd")
                   .replace("lr: 1.0e-3", "lr: 1.0e+6").replace("activation: tanh",
                                                                 "activation: gelu"))
    with pytest.raises(phasepinn.PhasepinnError) as e:
        phasepinn.run(config, output=tmp_path / "a", phasepinn=exe)
    assert e.value.returncode == 1 and "not finite" in e.value.stderr
    r = phasepinn.run(config, output=tmp_path / "b", phasepinn=exe, check=False)
    assert r.status == "failed" and "not finite" in r.summary["error"]
    assert r.model.step == r.summary["steps"]     # model.npz is written after a failure too
