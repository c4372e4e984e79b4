"""The GitHub Actions workflows are valid and do what docs/maintainers.md says they do.

Each file in .github/workflows/ is checked against GitHub's workflow schema with
``check-jsonschema --builtin-schema vendor.github-workflows`` (the schema ships with the
package: no network needed), and a deliberately broken copy must be rejected, so the check
itself is known to work. Then what the workflows run is checked: ``make test`` on every push
with the Keras dataset cache restored; on demand and weekly, the GPU runner's jobs; and every
``make`` target they call exists in the Makefile.
"""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
CHECK = Path(sys.executable).with_name("check-jsonschema")


def check_jsonschema(*paths):
    """Run check-jsonschema with GitHub's workflow schema on ``paths``; return the result."""
    executable = CHECK if CHECK.exists() else shutil.which("check-jsonschema")
    if executable is None:
        pytest.fail("check-jsonschema is not installed: pip install -e '.[dev]' "
                    "(or pip install check-jsonschema)")
    return subprocess.run([str(executable), "--builtin-schema", "vendor.github-workflows",
                           *map(str, paths)], capture_output=True, text=True, timeout=120)


def load(path):
    workflow = yaml.safe_load(path.read_text())
    # YAML 1.1 reads the key `on` as True
    workflow["on"] = workflow.pop(True, workflow.get("on"))
    return workflow


def steps_run(workflow):
    """Every `run:` command of every job, in order."""
    return [step["run"] for job in workflow["jobs"].values() for step in job["steps"]
            if "run" in step]


def uses(workflow):
    return [step["uses"] for job in workflow["jobs"].values() for step in job["steps"]
            if "uses" in step]


def test_there_are_the_two_workflows():
    assert [p.name for p in WORKFLOWS] == ["ci.yml", "gpu.yml"]


def test_every_workflow_matches_githubs_workflow_schema():
    result = check_jsonschema(*WORKFLOWS)
    assert result.returncode == 0, result.stdout + result.stderr


BREAKAGES = {
    "misspelt-key": lambda text: text.replace("runs-on:", "run-on:", 1),
    "steps-not-a-list": lambda text: text.replace("steps:", "steps: 3\n    old:", 1),
    "no-trigger": lambda text: re.sub(r"(?m)^on:", "trigger:", text),
    "unknown-event": lambda text: text.replace("push:", "pushed:", 1),
}


def test_a_broken_workflow_is_rejected(tmp_path):
    text = (ROOT / ".github" / "workflows" / "ci.yml").read_text()
    broken = []
    for name, break_it in BREAKAGES.items():
        path = tmp_path / f"{name}.yml"
        path.write_text(break_it(text))
        assert path.read_text() != text, name
        broken.append(path)
    result = check_jsonschema(*broken)  # one run: check-jsonschema names each file it rejects
    assert result.returncode != 0
    for path in broken:
        assert f"{path}::" in result.stdout, (f"check-jsonschema accepted {path.name}:\n"
                                              f"{result.stdout}")


def test_every_push_runs_make_test_with_the_keras_dataset_cache():
    ci = load(ROOT / ".github" / "workflows" / "ci.yml")
    assert "push" in ci["on"]
    (job,) = ci["jobs"].values()
    assert job["runs-on"] == "ubuntu-latest"
    assert set(job["strategy"]["matrix"]["backend"]) == {"tensorflow", "jax", "torch"}
    assert "make test BACKEND=${{ matrix.backend }}" in steps_run(ci)
    cache = next(step for step in job["steps"] if step.get("uses", "").startswith("actions/cache@"))
    assert cache["with"]["path"] == "~/.keras/datasets"
    # the cache is restored before the tests run
    names = [step.get("uses") or step.get("run") for step in job["steps"]]
    assert names.index(cache["uses"]) < names.index("make test BACKEND=${{ matrix.backend }}")


def test_the_gpu_workflow_runs_on_demand_and_weekly_on_the_gpu_runner():
    gpu = load(ROOT / ".github" / "workflows" / "gpu.yml")
    assert "workflow_dispatch" in gpu["on"]
    (schedule,) = gpu["on"]["schedule"]
    minute, hour, day, month, weekday = schedule["cron"].split()
    assert day == month == "*" and weekday.isdigit()  # once a week
    for job in gpu["jobs"].values():
        assert set(job["runs-on"]) == {"self-hosted", "gpu"}
    quick = gpu["jobs"]["quick"]
    assert set(quick["strategy"]["matrix"]["backend"]) == {"tensorflow", "jax", "torch"}
    commands = steps_run(gpu)
    assert "make setup-gpu" in commands
    assert "make test BACKEND=${{ matrix.backend }}" in commands  # unit tests + notebooks
    assert "make test-full" in commands
    assert any("REQUIRE_GPU=1" in command for command in commands)


def test_every_make_target_the_workflows_call_exists():
    makefile = (ROOT / "Makefile").read_text()
    defined = set(re.findall(r"(?m)^([A-Za-z][\w-]*)\s*:(?!=)", makefile))
    for path in WORKFLOWS:
        for command in steps_run(load(path)):
            for target in re.findall(r"\bmake\s+([A-Za-z][\w-]*)", command):
                assert target in defined, f"{path.name} runs `make {target}`: no such target"


def test_the_actions_used_are_pinned_to_a_major_version():
    for path in WORKFLOWS:
        for action in uses(load(path)):
            assert re.fullmatch(r"actions/[\w-]+@v\d+", action), f"{path.name}: {action}"
