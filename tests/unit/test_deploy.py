"""What can be checked of `deploy/` without a container runtime or a cluster: every file
parses, every command it runs is a civicbus command, every setting it gives is one civicbus
accepts, probes point at endpoints that exist on the port the process listens on, and the
broker policies match the queue names civicbus declares."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from bus import Settings, load_settings
from bus.cli import app

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
PROBES = {"/healthz", "/readyz"}


def commands() -> set[str]:
    named = {c.name or (c.callback.__name__ if c.callback else "") for c in app.registered_commands}
    return named | {group.name for group in app.registered_groups if group.name}


def documents(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def settings_from(
    config_text: str, env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Settings:
    config = tmp_path / "civicbus.yaml"
    config.write_text(config_text)
    for name in [n for n in __import__("os").environ if n.startswith("CIVICBUS_")]:
        monkeypatch.delenv(name)
    for name, value in env.items():
        if name.startswith("CIVICBUS_") and name not in {"CIVICBUS_CONFIG", "CIVICBUS_PROBE_PORT"}:
            monkeypatch.setenv(name, value)
    return load_settings(config)


def test_the_image_is_multi_stage_non_root_with_a_health_check():
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    copied = re.findall(r"^COPY (?!--from)(\S+)", dockerfile, re.M)
    root = DEPLOY.parent
    assert (
        len(re.findall(r"^FROM ", dockerfile, re.M)),
        re.search(r"^USER civicbus$", dockerfile, re.M) is not None,
        "HEALTHCHECK" in dockerfile and "/healthz" in dockerfile,
        [path for path in copied if not (root / path).exists()],
    ) == (2, True, True, [])


def test_compose_runs_civicbus_commands_with_settings_civicbus_accepts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    services = compose["services"]
    ours = {name: s for name, s in services.items() if s.get("image") == "civicbus:latest"}
    assert sorted(ours) == ["console", "gateway", "worker"]
    config = (DEPLOY / "civicbus.yaml").read_text()
    for name, service in ours.items():
        assert service["command"][0] in commands(), name
        env = {k: str(v) for k, v in service["environment"].items()}
        env = {k: re.sub(r"\$\{(\w+):[-?][^}]*\}", "x", v) for k, v in env.items()}
        settings = settings_from(config, env, tmp_path, monkeypatch)
        assert settings.broker.startswith("amqp://"), name
        assert settings.journal_url.startswith("postgresql+psycopg://"), name
    assert {"rabbitmq", "postgres"} <= set(services)


@pytest.mark.parametrize("component", ["worker", "gateway", "console"])
def test_each_deployment_probes_endpoints_that_exist_on_its_port(
    component: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    [deployment, *rest] = documents(DEPLOY / "k8s" / f"{component}.yaml")
    [container] = deployment["spec"]["template"]["spec"]["containers"]
    [configmap] = documents(DEPLOY / "k8s" / "configmap.yaml")
    [secret] = documents(DEPLOY / "k8s" / "secret.yaml")
    settings = settings_from(
        configmap["data"]["civicbus.yaml"], secret["stringData"], tmp_path, monkeypatch
    )
    listens = {
        "worker": settings.ops.port,
        "gateway": settings.gateway.port,
        "console": settings.console.port,
    }[component]
    [port] = container["ports"]
    probe_paths = {container[p]["httpGet"]["path"] for p in ("livenessProbe", "readinessProbe")}
    assert (container["args"][0] in commands(), port["containerPort"], probe_paths) == (
        True,
        listens,
        PROBES,
    )
    assert deployment["spec"]["template"]["spec"]["securityContext"]["runAsNonRoot"] is True
    if rest:
        [service] = rest
        assert service["spec"]["ports"][0]["port"] == listens


def test_workers_scale_on_queue_depth():
    scaled = [
        d
        for d in documents(DEPLOY / "k8s" / "worker-autoscaling.yaml")
        if d["kind"] == "ScaledObject"
    ]
    [scaler] = scaled
    assert (scaler["spec"]["scaleTargetRef"]["name"], scaler["spec"]["triggers"][0]["type"]) == (
        "civicbus-worker",
        "rabbitmq",
    )


def test_broker_policies_match_the_queues_civicbus_declares():
    definitions = json.loads((DEPLOY / "rabbitmq" / "definitions.json").read_text())
    policies = {p["name"]: re.compile(p["pattern"]) for p in definitions["policies"]}
    work, dead = policies["civicbus-work-queues"], policies["civicbus-dead-letters"]
    names = {
        "civicbus.route.moves": (True, False),
        "civicbus.benefits": (True, False),
        "civicbus.route.moves.dlq": (False, True),
        "civicbus.route.moves.retry.1000ms": (False, False),
    }
    assert {n: (bool(work.match(n)), bool(dead.match(n))) for n in names} == names
    k8s = documents(DEPLOY / "k8s" / "rabbitmq-definitions.yaml")[0]["data"]["definitions.json"]
    assert json.loads(k8s) == definitions
