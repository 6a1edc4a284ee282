"""`auditor audit --engine spark --spark-master spark://...`: the same audit on a Spark cluster.

A Spark standalone cluster (pyspark's own Master and one Worker, separate JVMs bound to
127.0.0.1, the executors' Python workers this interpreter) is started for this module: the
tasks run in executor processes the Worker launches, not in the driver as under `local[N]`,
and the run's folder beside OUT is shared because it is one machine (on several machines it
must be a shared mount: docs/engines.md "On a cluster"). The voucher sample, written as a lake
(a `file://` URI), is audited in a subprocess (the other Spark tests share a classic
`local[2]` session in theirs) and must give the DuckDB audit byte for byte.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.test_spark_audit import SAMPLES, _audit, assert_same_audit
from tests.test_spark_connect import _free_port
from tests.test_spark_lake import write_lake

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.xdist_group("spark-servers")  # own JVMs: beside the "spark" group


def _daemon(home: Path, args: list[str], log: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    with log.open("wb") as sink:
        return subprocess.Popen(
            [str(home / "bin" / "spark-class"), *args],
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )


def _wait_for(log: Path, text: str, daemons: list[subprocess.Popen[bytes]]) -> None:
    start = time.perf_counter()
    while time.perf_counter() - start < 180:
        if any(d.poll() is not None for d in daemons):
            pytest.fail(f"a cluster daemon stopped:\n{log.read_text()[-3000:]}")
        if log.exists() and text in log.read_text(errors="replace"):
            return
        time.sleep(1)
    pytest.fail(f"no {text!r} after 180 s:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """The master URL of a standalone cluster started for these tests, and its Worker's work
    folder (where each application's executors keep their logs)."""
    import pyspark

    home = Path(pyspark.__file__).parent
    folder = tmp_path_factory.mktemp("cluster")
    env = {
        **os.environ,
        "SPARK_HOME": str(home),
        "SPARK_LOCAL_IP": "127.0.0.1",
        "PYSPARK_PYTHON": sys.executable,  # the UDF workers import auditor from here
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    port = _free_port()
    master = f"spark://127.0.0.1:{port}"
    daemons: list[subprocess.Popen[bytes]] = []
    start = time.perf_counter()
    try:
        daemons.append(_daemon(home, [
            "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1",
            "--port", str(port), "--webui-port", str(_free_port()),
        ], folder / "master.log", env))  # fmt: skip
        _wait_for(folder / "master.log", "I have been elected leader", daemons)
        daemons.append(_daemon(home, [
            "org.apache.spark.deploy.worker.Worker", master, "--host", "127.0.0.1",
            "--cores", "2", "--memory", "3g", "--webui-port", str(_free_port()),
            "--work-dir", str(folder / "work"),
        ], folder / "worker.log", env))  # fmt: skip
        _wait_for(folder / "worker.log", "Successfully registered with master", daemons)
        print(f"\nSpark standalone cluster up in {time.perf_counter() - start:.1f} s")
        yield master, folder / "work"
    finally:
        for daemon in reversed(daemons):
            daemon.terminate()
            try:
                daemon.wait(timeout=60)
            except subprocess.TimeoutExpired:
                daemon.kill()


def test_cluster_gives_the_same_audit(cluster: tuple[str, Path], tmp_path: Path) -> None:
    """The voucher sample as a lake on the cluster: the executors stage the lake into the run's
    folder, run the facts, the rules' failing rows and the subsidy; every paper and report is
    the DuckDB audit's of the same folder."""
    master, work = cluster
    export, policy, as_of = SAMPLES["voucher"]
    lake = tmp_path / "lake"
    write_lake(export, lake)
    duck = _audit(lake, policy, tmp_path / "duckdb", as_of, "duckdb")
    env = {**os.environ, "PYSPARK_PYTHON": sys.executable}
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "auditor", "audit", lake.as_uri(), "--policy", policy,
         "--out", str(tmp_path / "cluster"), "--as-of", str(as_of), "--engine", "spark",
         "--spark-master", master, "--spark-conf", "spark.driver.host=127.0.0.1",
         "--spark-conf", "spark.executor.memory=1g"],
        capture_output=True, text=True, cwd=ROOT, env=env, timeout=1200,
    )  # fmt: skip
    print(f"\nvoucher lake on a standalone cluster: {time.perf_counter() - start:.1f} s")
    assert result.returncode == duck.exit_code, result.stderr[-3000:]
    assert "staging file://" in result.stderr and "fact 1/" in result.stderr
    assert_same_audit(tmp_path / "duckdb", tmp_path / "cluster")
    engine = json.loads((tmp_path / "cluster" / "manifest.json").read_text())["engine"]
    assert engine["spark_master"] == master
    # the work ran in executors the Worker launched: one application, its executors' logs
    apps = list(work.glob("app-*"))
    assert len(apps) == 1, apps
    assert list(apps[0].glob("*/stderr")), list(apps[0].iterdir())
