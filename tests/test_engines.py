"""Engines: the same summary on any engine, shards whose worker dies are retried, reports stream to disk."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from equifuzz.campaign import driver as campaign
from equifuzz.campaign.driver import CampaignInterrupted, enumerate_cases, run_campaign
from equifuzz.campaign.engines import KILL_SHARD_ENV, MAX_RETRIES, EngineError, LocalEngine, make_engine
from equifuzz.cli import main

SEED = 3
CASES = enumerate_cases(campaign.PROFILES["ci"], SEED)
KILLED = 5  # a shard with a finding (C2/regular~Q->trivial) in the middle of the campaign


def _run(out, **kw):
    return run_campaign("ci", seed=SEED, out=out, progress=False, sweep=False, **kw)


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The undisturbed campaign, in the driver."""
    res = _run(tmp_path_factory.mktemp("reference"), workers=1)
    return (res.out / "summary.json").read_bytes()


def test_ray_gives_the_summary_of_the_local_engine(reference, tmp_path):
    import ray

    res = _run(tmp_path, engine="ray", workers=2)
    assert (res.out / "summary.json").read_bytes() == reference
    assert res.engine == "ray" and res.retried == {}
    assert "(engine ray)" in res.markdown
    assert not ray.is_initialized()  # the local instance it started is shut down


def test_ray_retries_a_shard_whose_worker_is_killed(reference, tmp_path, monkeypatch):
    """A cluster the driver did not start: the CLI connects by address, the killed shard runs again, the
    retry is reported, the summary is the undisturbed one, and the cluster keeps running."""
    import ray

    monkeypatch.setenv(KILL_SHARD_ENV, f"{KILLED}:{tmp_path}")
    ray.init(address="local", num_cpus=2, include_dashboard=False)
    try:
        address = ray.get_runtime_context().gcs_address
        out = tmp_path / "out"
        proc = subprocess.run([sys.executable, "-m", "equifuzz.cli", "fuzz", "--profile", "ci", "--seed", str(SEED),
                               "--no-sweep", "--out", str(out), "--engine", "ray", "--address", address],
                              capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert (tmp_path / f"shard-{KILLED}").exists()  # the first attempt ran, and died
        assert (out / "summary.json").read_bytes() == reference
        case = CASES[KILLED].case_id
        assert "shards retried after their worker died" in proc.stdout and case in " ".join(proc.stdout.split())
        assert f"`{case}` (1 retry)" in (out / "summary.md").read_text()
        assert ray.cluster_resources()["CPU"] == 2  # still up
    finally:
        ray.shutdown()


def test_local_engine_retries_a_shard_whose_worker_is_killed(reference, tmp_path, monkeypatch):
    monkeypatch.setenv(KILL_SHARD_ENV, f"{KILLED}:{tmp_path}")
    res = _run(tmp_path / "out", workers=2)
    assert (tmp_path / f"shard-{KILLED}").exists()
    assert (res.out / "summary.json").read_bytes() == reference
    # a broken pool loses every shard in flight: the killed one, and perhaps its neighbour
    assert CASES[KILLED].case_id in res.retried and set(res.retried.values()) == {1}
    assert f"`{CASES[KILLED].case_id}` (1 retry)" in res.markdown


def test_local_engine_gives_up_on_a_shard_that_always_kills_its_worker():
    got: list[int] = []
    retries: list[tuple[int, int]] = []
    with pytest.raises(EngineError, match=rf"shard \d lost its worker {MAX_RETRIES + 1} times"):
        LocalEngine(workers=2).map(os._exit, [1, 1], lambda i, r: got.append(i), lambda i, n, _: retries.append((i, n)))
    assert max(n for _, n in retries) == MAX_RETRIES and got == []


def test_an_exception_in_a_shard_propagates_and_is_not_retried():
    eng = LocalEngine(workers=2)
    with pytest.raises(ValueError):
        eng.map(int, ["1", "x"], lambda i, r: None)
    assert eng.retried == {}


def test_ray_engine_without_ray_says_how_to_install_it(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray fails
    with pytest.raises(EngineError, match=r"pip install 'equifuzz\[ray\]'"):
        _run(tmp_path / "lib", engine="ray")
    assert not (tmp_path / "lib").exists()  # nothing started
    assert main(["fuzz", "--profile", "ci", "--out", str(tmp_path / "cli"), "--engine", "ray"]) == 2
    assert "pip install 'equifuzz[ray]'" in capsys.readouterr().out


def test_bad_engine_arguments_fail_before_running():
    with pytest.raises(EngineError, match="--engine ray"):
        make_engine("local", address="auto")
    with pytest.raises(EngineError, match="choose one of local, ray"):
        make_engine("dask")


def _interrupt_at_report(monkeypatch, n, workers=1):
    """Interrupt the driver when it is about to write (one worker: the shards run in the driver) or to collect
    (several: the shards write their own reports in their processes) the reports of the n-th finding."""
    write, collect = campaign._write_reports, campaign._shard_reports
    seen: list[int] = []

    def interrupting(findings, out, device):
        if findings:
            seen.append(1)
            if len(seen) == n:
                raise KeyboardInterrupt
            written = write(findings, out, device)
            assert all((p / "report.json").exists() for p in written)  # on disk while shards still run
            return written
        return write(findings, out, device)

    def interrupting_collect(o, out, device):
        if o.findings:
            seen.append(1)
            if len(seen) == n:
                raise KeyboardInterrupt
        return collect(o, out, device)

    if workers == 1:
        monkeypatch.setattr(campaign, "_write_reports", interrupting)
    else:
        monkeypatch.setattr(campaign, "_shard_reports", interrupting_collect)


def _complete(report):
    data = json.loads((report / "report.json").read_text())
    return all((report / f).exists() for f in data["files"])


@pytest.mark.parametrize("workers", [1, 2])
def test_interrupt_keeps_the_reports_of_finished_shards(tmp_path, monkeypatch, workers):
    _interrupt_at_report(monkeypatch, 4, workers)
    with pytest.raises(CampaignInterrupted) as exc:
        _run(tmp_path, workers=workers)
    reports = exc.value.reports
    # three findings collected; with several workers the shards in flight finish and their reports are kept too
    assert (len(reports) == 3 if workers == 1 else len(reports) >= 3) and all(_complete(p) for p in reports)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in reports)  # no summary, no partial
    assert str(tmp_path) in str(exc.value)


def test_cli_interrupt_exits_130_and_says_where_the_reports_are(tmp_path, monkeypatch, capsys):
    _interrupt_at_report(monkeypatch, 2)
    assert main(["fuzz", "--profile", "ci", "--seed", str(SEED), "--no-sweep", "--workers", "1",
                 "--out", str(tmp_path)]) == 130
    text = " ".join(capsys.readouterr().out.split())
    (report,) = [p for p in tmp_path.iterdir()]
    assert _complete(report)
    assert "1 report(s) already written are complete" in text and report.name in text
