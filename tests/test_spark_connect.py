"""`auditor audit --engine spark --spark-master sc://...`: the same audit through Spark Connect.

A Spark Connect server (pyspark's own, `local[2]`, bound to 127.0.0.1, its Python workers
this interpreter) is started for this module. The online sample, and the voucher sample
written as a lake (tests/test_spark_lake.py), are audited through it, each in a subprocess (a
Connect client turns pyspark into remote mode for its whole process, and the other Spark tests
share a classic session), and must give the DuckDB audit byte for byte, the failing rows being
selected by GX's index list instead of its Catalyst-rendered query (auditor/engines/
spark_rules.py).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.test_spark_audit import SAMPLES, _audit, assert_same_audit
from tests.test_spark_lake import write_lake

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.xdist_group("spark-servers")  # own JVMs: beside the "spark" group


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def connect_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """sc://127.0.0.1:PORT of a Spark Connect server started for these tests."""
    import pyspark

    home = Path(pyspark.__file__).parent
    port = _free_port()
    log = tmp_path_factory.mktemp("connect") / "server.log"
    env = {
        **os.environ,
        "SPARK_HOME": str(home),
        "SPARK_LOCAL_IP": "127.0.0.1",
        "PYSPARK_PYTHON": sys.executable,  # the UDF workers import auditor from here
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    command = [
        str(home / "bin" / "spark-submit"),
        "--class", "org.apache.spark.sql.connect.service.SparkConnectServer",
        "--master", "local[2]",
        "--conf", "spark.connect.grpc.binding.address=127.0.0.1",
        "--conf", f"spark.connect.grpc.binding.port={port}",
        "--conf", "spark.driver.host=127.0.0.1",
        "--conf", "spark.driver.bindAddress=127.0.0.1",
        "--conf", "spark.ui.enabled=false",
        "--conf", f"spark.local.dir={log.parent}",
    ]  # fmt: skip
    start = time.perf_counter()
    with log.open("wb") as sink:
        server = subprocess.Popen(command, env=env, stdout=sink, stderr=subprocess.STDOUT)
    try:
        while time.perf_counter() - start < 240:
            if server.poll() is not None:
                pytest.fail(f"the Connect server stopped:\n{log.read_text()[-3000:]}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(1)
        else:
            pytest.fail(f"no Connect server after 240 s:\n{log.read_text()[-3000:]}")
        print(f"\nSpark Connect server up in {time.perf_counter() - start:.1f} s")
        yield f"sc://127.0.0.1:{port}"
    finally:
        server.terminate()
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "auditor", "audit", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=1200,
    )


@pytest.mark.parametrize("sample", ["online", "voucher-lake"])
def test_connect_gives_the_same_audit(sample: str, connect_server: str, tmp_path: Path) -> None:
    """The online sample as a local export; the voucher sample as a lake (a folder of Parquet
    files per table, a file:// URI the server reads), against DuckDB reading the same folder."""
    export, policy, as_of = SAMPLES[sample.removesuffix("-lake")]
    given = str(export)
    if sample.endswith("-lake"):
        export = tmp_path / "lake"
        write_lake(SAMPLES["voucher"][0], export)
        given = export.as_uri()
    duck = _audit(export, policy, tmp_path / "duckdb", as_of, "duckdb")
    start = time.perf_counter()
    master = f"{connect_server}/;user_id=auditor"  # a parameter the manifest must not show
    result = _cli(given, "--policy", policy, "--out", str(tmp_path / "connect"),
                  "--as-of", str(as_of), "--engine", "spark", "--spark-master", master)  # fmt: skip
    print(f"\n{sample} through Spark Connect: {time.perf_counter() - start:.1f} s")
    assert result.returncode == duck.exit_code, result.stderr[-3000:]
    assert "fact 1/" in result.stderr  # the facts ran on Spark, with progress lines
    assert ("staging file://" in result.stderr) == sample.endswith("-lake")
    assert "Warning" not in result.stderr, result.stderr[-3000:]
    assert_same_audit(tmp_path / "duckdb", tmp_path / "connect")
    engine = json.loads((tmp_path / "connect" / "manifest.json").read_text())["engine"]
    assert engine["spark_master"] == connect_server


def test_connect_refuses_a_setting_the_server_owns(connect_server: str, tmp_path: Path) -> None:
    export, policy, as_of = SAMPLES["online"]
    result = _cli(str(export), "--policy", policy, "--out", str(tmp_path / "o"), "--as-of",
                  str(as_of), "--engine", "spark", "--spark-master", connect_server,
                  "--spark-conf", "spark.executor.memory=2g")  # fmt: skip
    assert result.returncode == 2, result.stderr[-3000:]
    assert "the Spark Connect server refused the setting spark.executor.memory=2g" in (
        result.stderr
    )
    assert not (tmp_path / "o").exists()
