"""What the scan learns from deployment files: how many processes serve the target, and why."""

from __future__ import annotations

import json
import sys
import textwrap
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from migrator.inventory.deployment import read_deployment
from migrator.model import Deployment


def deployment_of(root: Path, files: dict[str, str | bytes]) -> Deployment:
    """Write `files` under root and read them the way the scan does."""
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content).lstrip("\n"))
    return read_deployment(root, list(files))


def test_nothing_about_deployment_means_one_process(tmp_path: Path) -> None:
    files = {"app.py": "app = Flask(__name__)\n", "README.md": "Run `gunicorn -w 4 app:app`.\n",
             ".github/workflows/ci.yml": "jobs:\n  test:\n    strategy:\n      replicas: 5\n"}
    assert deployment_of(tmp_path, files) == Deployment(processes=1, sources=())
    assert read_deployment(tmp_path, []) == Deployment()


def test_gunicorn_config_workers(tmp_path: Path) -> None:
    conf = """
        bind = "0.0.0.0:8000"
        # a comment
        workers = 4
    """
    found = deployment_of(tmp_path, {"gunicorn.conf.py": conf})
    assert found == Deployment(4, ("gunicorn.conf.py:3: workers = 4 (4 processes)",))


def test_gunicorn_config_cpu_formula_counts_as_one_cpu(tmp_path: Path) -> None:
    conf = """
        import multiprocessing

        workers = multiprocessing.cpu_count() * 2 + 1
    """
    found = deployment_of(tmp_path, {"deploy/gunicorn_config.py": conf})
    assert found.processes == 3
    assert found.sources == (
        "deploy/gunicorn_config.py:3: workers = multiprocessing.cpu_count() * 2 + 1, "
        "cpu-dependent (3 processes)",
    )


def test_gunicorn_config_environment_default(tmp_path: Path) -> None:
    conf = 'import os\nworkers: int = int(os.environ.get("WEB_CONCURRENCY", "5"))\n'
    found = deployment_of(tmp_path, {"conf/prod_gunicorn.py": conf})
    assert found.processes == 5
    assert found.sources[0].endswith(', "5")), the default (5 processes)')


@pytest.mark.parametrize(
    ("command", "what", "processes"),
    [
        ("gunicorn app:app -w 3", "gunicorn -w 3", 3),
        ("gunicorn --workers 4 app:app", "gunicorn --workers 4", 4),
        ("gunicorn --workers=6 app:app", "gunicorn --workers=6", 6),
        ("gunicorn -w4 app:app", "gunicorn -w 4", 4),
        ("python -m gunicorn -k uvicorn.workers.UvicornWorker -w 2 main:app", "gunicorn -w 2", 2),
        ("gunicorn -w ${WEB_CONCURRENCY:-5} app:app", "gunicorn -w ${WEB_CONCURRENCY:-5}", 5),
        ("uvicorn main:app --host 0.0.0.0 --workers 8", "uvicorn --workers 8", 8),
        ("hypercorn -w 3 main:app", "hypercorn -w 3", 3),
        ("uwsgi --http :8000 --processes 5 --module app", "uwsgi --processes 5", 5),
        ("daphne -b 0.0.0.0 -p 8000 shop.asgi:application", "daphne", 1),
        ("WEB_CONCURRENCY=7 gunicorn app:app", "WEB_CONCURRENCY=7", 7),
    ],
)
def test_procfile_commands(tmp_path: Path, command: str, what: str, processes: int) -> None:
    found = deployment_of(tmp_path, {"Procfile": f"release: ./migrate.sh\nweb: {command}\n"})
    noun = "process" if processes == 1 else "processes"
    assert found == Deployment(processes, (f"Procfile:2: {what} ({processes} {noun})",))


@pytest.mark.parametrize(
    "command",
    ["gunicorn app:app", "uvicorn main:app --reload --port 8000", "gunicorn -w $WORKERS app:app",
     "celery -A shop worker --concurrency 8", "gunicorn -w 0 app:app"],
)
def test_commands_without_a_worker_count_say_nothing(tmp_path: Path, command: str) -> None:
    assert deployment_of(tmp_path, {"Procfile": f"web: {command}\n"}) == Deployment()


def test_dockerfile_exec_form_continued_lines_and_env(tmp_path: Path) -> None:
    dockerfile = """
        FROM python:3.12-slim
        ENV WEB_CONCURRENCY=2
        # CMD ["gunicorn", "-w", "16", "app:app"]
        CMD ["gunicorn", "--bind", "0.0.0.0:8000", \\
             "--workers", "4", "app:app"]
    """
    found = deployment_of(tmp_path, {"Dockerfile": dockerfile})
    assert found == Deployment(4, (
        "Dockerfile:2: WEB_CONCURRENCY=2 (2 processes)",
        "Dockerfile:4: gunicorn --workers 4 (4 processes)",
    ))


def test_containerfile_shell_form_entrypoint(tmp_path: Path) -> None:
    containerfile = "FROM python:3.12\nENTRYPOINT cd /srv && exec uvicorn api:app --workers 3\n"
    found = deployment_of(tmp_path, {"build/Containerfile.prod": containerfile})
    assert found.sources == ("build/Containerfile.prod:2: uvicorn --workers 3 (3 processes)",)


def test_entrypoint_script(tmp_path: Path) -> None:
    script = "#!/bin/sh\nset -e\nexec gunicorn shop.wsgi -w 3 \\\n  --timeout 30\n"
    found = deployment_of(tmp_path, {"docker/docker-entrypoint.sh": script})
    assert found.sources == ("docker/docker-entrypoint.sh:3: gunicorn -w 3 (3 processes)",)


def test_compose_replicas_times_workers_of_the_same_service(tmp_path: Path) -> None:
    compose = """
        services:
          web:
            build: .
            command: gunicorn app:app --workers 4
            deploy:
              replicas: 3
          worker:
            command: ["python", "worker.py"]
            scale: 2
            environment:
              - WEB_CONCURRENCY=5
          redis:
            image: redis:7
    """
    found = deployment_of(tmp_path, {"docker-compose.yml": compose})
    assert found.processes == 12
    assert found.sources == (
        "docker-compose.yml:4: gunicorn --workers 4 (4 processes)",
        "docker-compose.yml:6: service web deploy.replicas: 3 (3 processes)",
        "docker-compose.yml:6: service web deploy.replicas: 3 x gunicorn --workers 4 at "
        "docker-compose.yml:4 (12 processes)",
        "docker-compose.yml:9: service worker scale: 2 (2 processes)",
        "docker-compose.yml:9: service worker scale: 2 x WEB_CONCURRENCY=5 at "
        "docker-compose.yml:11 (10 processes)",
        "docker-compose.yml:11: WEB_CONCURRENCY=5 (5 processes)",
    )


K8S_DEPLOYMENT = """
    apiVersion: v1
    kind: Service
    metadata: {name: web}
    ---
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: web
    spec:
      replicas: 3
      template:
        spec:
          containers:
            - name: web
              image: shop:1.2
              command: ["gunicorn"]
              args:
                - --workers
                - "4"
                - shop.wsgi
            - name: proxy
              image: envoyproxy/envoy:v1.30
"""


def test_kubernetes_replicas_times_container_workers(tmp_path: Path) -> None:
    found = deployment_of(tmp_path, {"k8s/deploy.yaml": K8S_DEPLOYMENT})
    assert found == Deployment(12, (
        "k8s/deploy.yaml:10: Deployment web replicas: 3 (3 processes)",
        "k8s/deploy.yaml:10: Deployment web replicas: 3 x gunicorn --workers 4 at "
        "k8s/deploy.yaml:16 (12 processes)",
        "k8s/deploy.yaml:16: gunicorn --workers 4 (4 processes)",
    ))


def test_kubernetes_autoscaler_counts_its_maximum(tmp_path: Path) -> None:
    statefulset = """
        kind: StatefulSet
        metadata: {name: api}
        spec:
          replicas: 2
          template:
            spec:
              containers:
                - name: api
                  env:
                    - name: WEB_CONCURRENCY
                      value: "2"
    """
    hpa = """
        apiVersion: autoscaling/v2
        kind: HorizontalPodAutoscaler
        metadata: {name: api-hpa}
        spec:
          scaleTargetRef: {apiVersion: apps/v1, kind: StatefulSet, name: api}
          minReplicas: 2
          maxReplicas: 10
    """
    found = deployment_of(tmp_path, {"manifests/api.yml": statefulset, "manifests/hpa.yml": hpa})
    assert found.processes == 20
    assert "manifests/hpa.yml:7: HorizontalPodAutoscaler api-hpa maxReplicas: 10, autoscaled " \
           "from 2 (10 processes)" in found.sources
    assert "manifests/api.yml:11: WEB_CONCURRENCY: 2 (2 processes)" in found.sources


def test_kubernetes_manifest_outside_deployment_folders_is_sniffed(tmp_path: Path) -> None:
    found = deployment_of(tmp_path, {"web.yaml": K8S_DEPLOYMENT})
    assert found.processes == 12
    padded = K8S_DEPLOYMENT + "# " + "x" * (256 << 10) + "\n"
    assert deployment_of(tmp_path / "big", {"web.yaml": padded}) == Deployment()


def test_helm_values_replica_count_and_enabled_autoscaling(tmp_path: Path) -> None:
    values = """
        replicaCount: 3
        image: {repository: shop, tag: "1.2"}
        autoscaling:
          enabled: true
          minReplicas: 3
          maxReplicas: 6
        worker:
          autoscaling: {enabled: false, maxReplicas: 50}
    """
    found = deployment_of(tmp_path, {"charts/shop/values.yaml": values})
    assert found == Deployment(6, (
        "charts/shop/values.yaml:1: replicaCount: 3 (3 processes)",
        "charts/shop/values.yaml:6: autoscaling.maxReplicas: 6, autoscaled (6 processes)",
    ))


def test_helm_template_is_read_line_by_line(tmp_path: Path) -> None:
    template = """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: {{ include "shop.fullname" . }}
        spec:
          {{- if not .Values.autoscaling.enabled }}
          replicas: {{ .Values.replicaCount }}
          {{- end }}
          minReadySeconds: 5
          # replicas: 9
          revisionHistoryLimit: 2
        ---
        kind: HorizontalPodAutoscaler
        spec:
          maxReplicas: 4
    """
    found = deployment_of(tmp_path, {"helm/shop/templates/deployment.yaml": template})
    assert found == Deployment(4, (
        "helm/shop/templates/deployment.yaml:15: maxReplicas: 4, autoscaled (4 processes)",
    ))


def test_without_pyyaml_manifests_are_read_line_by_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "yaml", None)  # what `import yaml` meets when not installed
    found = deployment_of(tmp_path, {"k8s/deploy.yaml": K8S_DEPLOYMENT})
    assert found == Deployment(3, ("k8s/deploy.yaml:10: replicas: 3 (3 processes)",))


def test_fly_toml_minimum_machines(tmp_path: Path) -> None:
    fly = """
        app = "shop"

        [http_service]
          internal_port = 8000
          min_machines_running = 2

        [env]
          WEB_CONCURRENCY = "3"
    """
    found = deployment_of(tmp_path, {"fly.toml": fly})
    assert found == Deployment(3, (
        "fly.toml:5: min_machines_running = 2 (2 processes)",
        "fly.toml:8: WEB_CONCURRENCY=3 (3 processes)",
    ))


def test_app_engine_instances_times_entrypoint_workers(tmp_path: Path) -> None:
    app_yaml = """
        runtime: python312
        instance_class: F2
        entrypoint: gunicorn -b :$PORT -w 2 main:app
        automatic_scaling:
          max_instances: 5
    """
    found = deployment_of(tmp_path, {"app.yaml": app_yaml})
    assert found.processes == 10
    assert "app.yaml:5: automatic_scaling.max_instances: 5, autoscaled (5 processes)" in (
        found.sources
    )
    manual = deployment_of(tmp_path / "m", {"app.yaml": "manual_scaling:\n  instances: 3\n"})
    assert manual == Deployment(3, ("app.yaml:2: manual_scaling.instances: 3 (3 processes)",))


def test_heroku_app_json_formation(tmp_path: Path) -> None:
    app_json = """
        {
          "name": "shop",
          "formation": {
            "web": {"quantity": 2, "size": "standard-1x"},
            "worker": {"quantity": 1}
          }
        }
    """
    found = deployment_of(tmp_path, {"app.json": app_json})
    assert found == Deployment(2, (
        "app.json:4: formation web quantity: 2 (2 processes)",
        "app.json:5: formation worker quantity: 1 (1 process)",
    ))


def test_uwsgi_ini_processes(tmp_path: Path) -> None:
    ini = "[uwsgi]\nmodule = shop.wsgi\nmaster = true\nprocesses = 4\n; processes = 64\n"
    found = deployment_of(tmp_path, {"deploy/uwsgi.ini": ini})
    assert found == Deployment(4, ("deploy/uwsgi.ini:4: processes = 4 (4 processes)",))


def test_largest_count_wins_across_unrelated_files(tmp_path: Path) -> None:
    files = {"Procfile": "web: gunicorn -w 3 app:app\n", "gunicorn.conf.py": "workers = 5\n",
             "k8s/deploy.yaml": "kind: Deployment\nmetadata: {name: web}\nspec: {replicas: 2}\n"}
    found = deployment_of(tmp_path, files)
    assert found.processes == 5  # the image's workers are not tied to the manifest: no product
    assert len(found.sources) == 3


def test_unreadable_and_malformed_files_are_skipped(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").mkdir()
    files: dict[str, str | bytes] = {
        "Procfile": b"web: gunicorn -w 4 \xff\xfe app:app\n",
        "gunicorn.conf.py": "workers = = 4\n",
        "app.json": '{"formation": {"web": {"quantity": 3}',
        "k8s/broken.yaml": "kind: Deployment\nspec: [replicas: : {\n",
        "k8s/list.yaml": "- 1\n- 2\n",
        "k8s/weird.yaml": "kind: [Deployment]\nspec: 3\nservices: web\n? [a, b]\n: c\n",
        "docker-compose.yml": "services:\n  web: gunicorn -w\n  api: {command: [{}], deploy: 2}\n",
    }
    found = deployment_of(tmp_path, files)
    assert found == Deployment()
    assert read_deployment(tmp_path, ["Dockerfile", "missing/Procfile"]) == (
        Deployment()
    )


def test_yaml_alias_bomb_is_read_quickly(tmp_path: Path) -> None:
    lines = ["a0: &a0 gunicorn -w 2"]
    lines += [f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}, *a{i - 1}]" for i in range(1, 30)]
    started = time.monotonic()
    found = deployment_of(tmp_path, {"deploy/bomb.yaml": "\n".join(lines) + "\n"})
    assert time.monotonic() - started < 5
    assert found.processes == 2


FUZZ = settings(max_examples=150, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])
NAMES = ["Procfile", "Dockerfile", "gunicorn.conf.py", "uwsgi.ini", "fly.toml", "app.json",
         "app.yaml", "compose.yaml", "k8s/x.yaml", "values.yaml"]
KEYS = ["kind", "spec", "metadata", "name", "replicas", "maxReplicas", "scaleTargetRef", "services",
        "deploy", "scale", "command", "args", "WEB_CONCURRENCY", "value", "replicaCount",
        "autoscaling", "enabled", "automatic_scaling", "manual_scaling", "formation", "quantity"]
LEAVES = st.none() | st.booleans() | st.integers(-3, 10**9) | st.text(max_size=8) | st.sampled_from(
    ["Deployment", "HorizontalPodAutoscaler", "gunicorn -w 3", "-w", "4", "WEB_CONCURRENCY=2"]
)
TREES = st.recursive(
    LEAVES,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(KEYS), inner),
    max_leaves=25,
)


@FUZZ
@given(name=st.sampled_from(NAMES), text=st.text(alphabet=list("kind: Deployment\n-[]{}&*'\"#=09w"))
       | st.text())
def test_arbitrary_text_never_raises(tmp_path: Path, name: str, text: str) -> None:
    assert deployment_of(tmp_path, {name: text}).processes >= 1


@FUZZ
@given(name=st.sampled_from(NAMES[5:]), documents=st.lists(TREES, min_size=1, max_size=3))
def test_arbitrary_structures_never_raise(
    tmp_path: Path, name: str, documents: list[object]
) -> None:
    yaml = pytest.importorskip("yaml")
    text = json.dumps(documents[0]) if name == "app.json" else yaml.safe_dump_all(documents)
    assert deployment_of(tmp_path, {name: text}).processes >= 1
