"""What verify starts and reads, decided before any process starts: the service's command from
its deployment files, and journeys that cannot be run (one line, exit 2)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from migrator_tests_verify_runs import PYTHON, verify_env

from migrator.verify.command import CommandError, adapt, from_deployment


@pytest.mark.parametrize(
    ("deployed", "replica"),
    [
        (
            'gunicorn -c gunicorn.conf.py --workers 4 "shop:create_app()"',
            "gunicorn -c gunicorn.conf.py 'shop:create_app()' --workers 1 --bind 127.0.0.1:{port}",
        ),
        (
            "python manage.py migrate && gunicorn notes.wsgi:application -w4 --bind=0.0.0.0:$PORT",
            "gunicorn notes.wsgi:application --workers 1 --bind 127.0.0.1:{port}",
        ),
        (
            "uvicorn chat.main:app --host 0.0.0.0 --port 8000 --workers 2 --reload",
            "uvicorn chat.main:app --host 127.0.0.1 --port {port}",
        ),
        (
            "python manage.py runserver 0.0.0.0:8000",
            "python manage.py runserver 127.0.0.1:{port} --noreload",
        ),
        ("celery -A shop worker", None),
    ],
)
def test_a_deployment_command_serves_one_process_on_a_loopback_port(
    deployed: str, replica: str | None
) -> None:
    assert adapt(deployed) == replica


def test_the_procfile_web_process_comes_first_and_a_missing_server_is_named(tmp_path: Path) -> None:
    (tmp_path / "Procfile").write_text("worker: celery -A app worker\nweb: no-such-server-xyz\n")
    with pytest.raises(CommandError, match="found no command"):
        from_deployment(tmp_path)
    (tmp_path / "Procfile").write_text("worker: celery -A app worker\nweb: gunicorn app:app\n")
    (tmp_path / "Dockerfile").write_text('CMD ["uvicorn", "app:app"]\n')
    try:
        command = from_deployment(tmp_path)
    except CommandError as exc:  # gunicorn is not installed here: the error says so
        assert "`gunicorn` (from Procfile:2) is not installed" in str(exc)
    else:
        assert command.source == "Procfile:2"


@pytest.mark.parametrize(
    ("journey", "reason"),
    [
        (None, "no journey in ."),
        ("steps: []\n", "`steps` must be a non-empty list"),
        ("steps:\n  - request: FETCH /x\n", "step 1: unknown method 'FETCH'"),
        ("steps:\n  - request: GET cart\n", "must start with `/`"),
        ("steps:\n  - {request: GET /, expect: {json: {'a[': 1}}}\n", "cannot read the JSON path"),
        ("steps:\n  - {request: GET /, colour: red}\n", "unknown key `colour`"),
        ("steps: [\n", "is not valid YAML at line"),
    ],
)
def test_a_journey_that_cannot_run_is_one_line_and_exit_2(
    journey: str | None, reason: str, tmp_path: Path
) -> None:
    if journey is not None:
        (tmp_path / "journey.yaml").write_text(journey)
    done = subprocess.run(
        [PYTHON, "-m", "migrator", "verify", ".", "--cmd", "true {port}"],
        cwd=tmp_path,
        env=verify_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert reason in done.stderr


def test_a_service_that_does_not_start_is_an_error_with_its_last_line(tmp_path: Path) -> None:
    (tmp_path / "journey.yaml").write_text("steps:\n  - request: GET /\n")
    done = subprocess.run(
        [PYTHON, "-m", "migrator", "verify", ".", "--cmd", "echo no database {port}; exit 3"],
        cwd=tmp_path,
        env=verify_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "exited with status 3 before it answered: no database" in done.stderr
    kept = Path(done.stderr.rsplit("log kept at ", 1)[1].split(")")[0])
    assert "no database" in kept.read_text()
    kept.unlink()
