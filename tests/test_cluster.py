"""Scale-out on real parts: a Dask scheduler and two worker processes on loopback, a PostgreSQL gradebook.

Uses ``NNLAB_TEST_POSTGRES_URL`` where it is set; otherwise, as root with Debian's ``postgresql`` installed,
starts that PostgreSQL on loopback itself (``.ci/postgres``).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import threading
import uuid
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.grading import rows_of, run_cli, three_of_a1

pytestmark = pytest.mark.slow
A1 = "a1_noise_mlp"


@pytest.fixture(scope="module")
def postgres_url():
    url = os.environ.get("NNLAB_TEST_POSTGRES_URL") or loopback_postgres()
    import sqlalchemy

    admin = sqlalchemy.create_engine(url, isolation_level="AUTOCOMMIT")
    name = f"nnlab_{uuid.uuid4().hex[:8]}"
    with admin.connect() as connection:
        connection.execute(sqlalchemy.text(f"CREATE DATABASE {name}"))
    yield url.rsplit("/", 1)[0] + "/" + name
    admin.dispose()


def loopback_postgres() -> str:
    """Start Debian's PostgreSQL on loopback with the test role (``.ci/postgres``) and return its URL."""
    if os.geteuid() != 0 or not shutil.which("pg_ctlcluster"):
        pytest.fail("the cluster tests need PostgreSQL: run `make test` as root with Debian's postgresql installed "
                    "(`apt-get install postgresql`), or set NNLAB_TEST_POSTGRES_URL to a database whose role may "
                    "create databases")
    started = subprocess.run([str(REPO / ".ci" / "postgres")], capture_output=True, text=True, timeout=120)
    if started.returncode != 0:
        pytest.fail(f"PostgreSQL did not start on loopback (.ci/postgres: {started.stderr.strip()[-500:]})")
    return started.stdout.strip().splitlines()[-1]


@pytest.fixture()
def cluster(tmp_path):
    from autograder.runners.dask import LoopbackCluster

    env = {**os.environ, "NNLAB_BUDGET": "smoke", "PYTHONWARNINGS": "ignore"}
    with LoopbackCluster(workers=2, env=env, cwd=tmp_path) as running:
        yield running.address, running.workers


def class_submissions(folder):
    """Three of assignment 1, graded locally in the session's shared class."""
    three_of_a1(folder)


def test_cluster_run_survives_a_dead_worker_and_matches_local(cluster, shared_class, postgres_url, tmp_path):
    address, workers = cluster
    small_class = three_of_a1(tmp_path / "submissions")

    finished = threading.Event()

    def kill_one_worker_mid_run():  # as soon as it grades a submission, whatever the machine's speed
        while not grading_in(workers[0].pid):
            if finished.wait(0.2):
                return
        workers[0].send_signal(signal.SIGKILL)

    killer = threading.Thread(target=kill_one_worker_mid_run)
    killer.start()
    remote = run_cli("grade", str(small_class), "--out", str(tmp_path / "cluster"), "--scheduler", address,
                     "--db", postgres_url)
    finished.set()
    killer.join()
    assert remote.returncode == 0, remote.stderr[-3000:]
    assert workers[0].poll() is not None, "the worker was not killed during the run"
    assert rows_of(tmp_path / "cluster", small_class) == rows_of(shared_class.out, small_class)
    assert len(list((tmp_path / "cluster" / "feedback").glob("*/*/*.html"))) == 3

    import sqlalchemy

    engine = sqlalchemy.create_engine(postgres_url)
    with engine.connect() as connection:
        rows = connection.execute(sqlalchemy.text(
            "SELECT student_id, count(*) FROM submitted_assignment GROUP BY student_id")).all()
    engine.dispose()
    assert sorted(rows) == [("blank", 1), ("master", 1), ("wrong-width", 1)]  # every student exactly once
    exported = run_cli("export", "--out", str(tmp_path / "cluster"), "--db", postgres_url)
    assert exported.returncode == 0 and "3 rows" in exported.stdout


def descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (children, their children, ...)."""
    children = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            children += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            pass
    return [found for child in children for found in (child, *descendants(child))]


def grading_in(worker: int) -> bool:
    """Whether a Dask worker process is grading now: its slot's launcher has forked a job's worker."""
    for pid in descendants(worker):
        try:
            if b"autograder.launcher" in Path(f"/proc/{pid}/cmdline").read_bytes() and descendants(pid):
                return True
        except OSError:
            pass
    return False


def test_concurrent_graders_share_a_postgres_gradebook(postgres_url, tmp_path):
    """Two graders merge into the same server gradebook at once: no lost or duplicated rows."""
    from autograder import course
    from autograder.gradebook import merge as merge_gradebooks
    from autograder.results import GradeRow, Result

    results = [Result(student_id=f"p{i}", assignment=A1, max_score=18, auto_max_score=13,
                      grades=[GradeRow(notebook="noise_mlp", name="test_add_noise", cell_type="code", max_score=3,
                                       auto_score=3.0)]) for i in range(20)]
    work = tmp_path / "work"
    work.mkdir()
    merge_gradebooks(postgres_url, course.assignments(), [], work)  # create the assignments once
    errors = []

    def grader(batch):
        try:
            merge_gradebooks(postgres_url, course.assignments(), batch, work)
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=grader, args=(results[i::2] + results[:4],)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    with course.gradebook(postgres_url) as gb:
        students = [s.id for s in gb.students]
        scores = [gb.find_grade("test_add_noise", "noise_mlp", A1, f"p{i}").auto_score for i in range(20)]
    assert sorted(s for s in students if s.startswith("p")) == sorted(f"p{i}" for i in range(20))
    assert scores == [3.0] * 20
