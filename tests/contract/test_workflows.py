"""The GitHub Actions workflows: valid against GitHub's workflow schema (the one vendored in
check-jsonschema, so no network), and safe: no pull_request_target, minimal permissions, no secrets where
a pull request's code runs, the comment posted from a separate `workflow_run` workflow; the sharded
sweep's matrix of shares and its collector, started by hand.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

WORKFLOWS = Path(__file__).resolve().parents[2] / ".github" / "workflows"
CHECK = WORKFLOWS / "pr-check.yml"
COMMENT = WORKFLOWS / "pr-comment.yml"
SWEEP = WORKFLOWS / "sweep.yml"
MARKER = "<!-- pr-report -->"


def load(path: Path) -> dict[str, Any]:
    workflow = yaml.safe_load(path.read_text())
    if True in workflow:  # YAML 1.1 reads the key `on` as the boolean true
        workflow["on"] = workflow.pop(True)
    return workflow


def steps(workflow: dict[str, Any]) -> list[dict[str, Any]]:
    return [step for job in workflow["jobs"].values() for step in job.get("steps", [])]


def uses(workflow: dict[str, Any]) -> list[str]:
    return [step["uses"] for step in steps(workflow) if "uses" in step]


def step_using(workflow: dict[str, Any], action: str) -> dict[str, Any]:
    found = [step for step in steps(workflow) if step.get("uses", "").startswith(f"{action}@")]
    assert len(found) == 1, f"expected one {action} step, found {len(found)}"
    return found[0]


def check_jsonschema() -> str:
    local = Path(sys.executable).parent / "check-jsonschema"
    found = str(local) if local.exists() else shutil.which("check-jsonschema")
    assert found, "check-jsonschema is not installed (it is in requirements.lock)"
    return found


@pytest.mark.parametrize("path", sorted(WORKFLOWS.glob("*.y*ml")), ids=lambda p: p.name)
def test_valid_against_githubs_workflow_schema(path: Path) -> None:
    env = dict(os.environ)
    # the vendored schema needs no network: any attempt would fail on this dead proxy
    env.update({key: "http://127.0.0.1:9" for key in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY")})
    env.update({key.lower(): value for key, value in env.items() if key.endswith("_PROXY")})
    result = subprocess.run(
        [check_jsonschema(), "--builtin-schema", "vendor.github-workflows", str(path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_schema_check_rejects_a_broken_workflow(tmp_path: Path) -> None:
    """The schema check is not vacuous: a job without runs-on and steps fails it."""
    broken = tmp_path / "broken.yml"
    broken.write_text("name: x\non: pull_request\njobs:\n  a:\n    steps: 3\n")
    result = subprocess.run(
        [check_jsonschema(), "--builtin-schema", "vendor.github-workflows", str(broken)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode != 0


@pytest.mark.parametrize("path", sorted(WORKFLOWS.glob("*.y*ml")), ids=lambda p: p.name)
def test_no_workflow_uses_pull_request_target_or_secrets(path: Path) -> None:
    workflow = load(path)
    triggers = [workflow["on"]] if isinstance(workflow["on"], str) else list(workflow["on"])
    assert "pull_request_target" not in triggers
    code = [line.split("#")[0] for line in path.read_text().splitlines()]  # comments may say why
    assert not [line for line in code if "pull_request_target" in line]
    if set(triggers) != {"workflow_dispatch"}:  # a pull request's code would see them
        assert not [line for line in code if "secrets." in line]
    for action in uses(workflow):
        assert re.fullmatch(r"[\w.-]+/[\w.-]+@v\d+", action), f"unpinned or unknown action {action}"


def test_check_runs_on_pull_request_with_read_only_permissions() -> None:
    workflow = load(CHECK)
    assert workflow["name"] == "pr-check"
    assert set(workflow["on"]) == {"pull_request"}
    assert workflow["permissions"] == {"contents": "read"}
    for job in workflow["jobs"].values():
        assert job.get("permissions", workflow["permissions"]) == {"contents": "read"}


def test_check_steps() -> None:
    workflow = load(CHECK)
    checkout = step_using(workflow, "actions/checkout")
    assert checkout["with"]["fetch-depth"] == 0
    assert checkout["with"]["persist-credentials"] is False
    assert str(step_using(workflow, "actions/setup-python")["with"]["python-version"]) == "3.11"
    runs = [step.get("run", "") for step in steps(workflow)]
    for command in ("make lint", "make test", 'make pr-report BASE="origin/$BASE_REF"'):
        assert any(command in run for run in runs), command
    report = next(step for step in steps(workflow) if "make pr-report" in step.get("run", ""))
    assert "--reuse" not in report["run"]  # its reproducibility gate is a clean run
    assert report["env"]["BASE_REF"] == "${{ github.base_ref }}"  # not expanded inside the script
    assert report["continue-on-error"] is True
    assert report["if"] == "${{ !cancelled() }}"
    # the report is uploaded even when a gate failed, then the job fails at the end
    upload = step_using(workflow, "actions/upload-artifact")
    assert upload["uses"] == "actions/upload-artifact@v4"
    assert upload["if"] == "always()"
    assert upload["with"]["name"] == "pr-report"
    paths = upload["with"]["path"].split()
    assert {"reports/pr-report.md", "reports/pr/*.png", "reports/pr-number"} <= set(paths)
    last = steps(workflow)[-1]
    assert last["if"] == f"steps.{report['id']}.outcome == 'failure'"
    assert "exit 1" in last["run"]
    number = next(step for step in steps(workflow) if "reports/pr-number" in step.get("run", ""))
    assert number["if"] == "always()"
    assert number["env"]["PR_NUMBER"] == "${{ github.event.pull_request.number }}"


@pytest.mark.parametrize(
    ("report", "says"),
    [("**Result: FAIL** - base: `main`\n", "gates failed"), (None, "could not be made")],
    ids=["gate-failed", "no-report"],
)
def test_the_last_step_tells_a_failed_gate_from_a_comparison_not_made(tmp_path: Path, report, says) -> None:
    """make exits 2 for any failed recipe, so the step reads the report: run as the runner would."""
    if report is not None:
        (tmp_path / "reports").mkdir()
        (tmp_path / "reports/pr-report.md").write_text(report)
    script = steps(load(CHECK))[-1]["run"]
    result = subprocess.run(["bash", "-e", "-c", script], cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 1
    assert says in result.stdout, result.stdout


def test_comment_runs_on_workflow_run_of_the_check() -> None:
    workflow = load(COMMENT)
    assert set(workflow["on"]) == {"workflow_run"}
    trigger = workflow["on"]["workflow_run"]
    assert trigger["workflows"] == [load(CHECK)["name"]]
    assert trigger["types"] == ["completed"]
    assert workflow["permissions"] == {"pull-requests": "write", "actions": "read"}
    for job in workflow["jobs"].values():
        assert "permissions" not in job
        assert "github.event.workflow_run.event == 'pull_request'" in job["if"]


def test_comment_downloads_the_artifact_and_keeps_one_sticky_comment() -> None:
    workflow = load(COMMENT)
    assert not any(action.startswith("actions/checkout@") for action in uses(workflow))
    download = step_using(workflow, "actions/download-artifact")
    assert download["uses"] == "actions/download-artifact@v4"
    assert download["with"]["name"] == "pr-report"
    assert download["with"]["run-id"] == "${{ github.event.workflow_run.id }}"
    assert download["with"]["github-token"] == "${{ github.token }}"
    script_step = step_using(workflow, "actions/github-script")
    assert script_step["uses"] == "actions/github-script@v7"
    assert script_step["env"]["RUN_URL"] == "${{ github.event.workflow_run.html_url }}"
    script = script_step["with"]["script"]
    assert f"const marker = '{MARKER}'" in script
    assert "${{" not in script  # event data reaches the script through env, never as code
    for call in ("listComments", "updateComment", "createComment", "pulls.get"):
        assert call in script, call
    assert "process.env.RUN_URL" in script and "artifact" in script


def test_sweep_runs_its_shares_as_a_matrix_then_the_collector() -> None:
    workflow = load(SWEEP)
    assert set(workflow["on"]) == {"workflow_dispatch"}  # started by hand: it holds keys and may push
    assert workflow["permissions"] == {"contents": "read"}
    shard, collect = workflow["jobs"]["shard"], workflow["jobs"]["collect"]
    assert shard["permissions"] == {"contents": "write"}  # the experiments' refs, nothing else
    assert "permissions" not in collect
    assert shard["strategy"]["fail-fast"] is False
    shares = shard["strategy"]["matrix"]["shard"]
    assert shares == list(range(1, len(shares) + 1)) and len(shares) >= 2
    runs = [step.get("run", "") for step in shard["steps"]]
    assert "make sweep SHARD=${{ matrix.shard }}/${{ strategy.job-total }}" in runs
    assert collect["needs"] == "shard" and collect["if"] == "${{ !cancelled() }}"
    assert "make sweep-collect" in [step.get("run", "") for step in collect["steps"]]
    for job in (shard, collect):
        checkout = next(s for s in job["steps"] if s.get("uses", "").startswith("actions/checkout@"))
        assert checkout["with"]["fetch-depth"] == 0  # `dvc exp` fails in a shallow clone
        token = next(s for s in job["steps"] if "TOKEN" in s.get("env", {}))
        assert token["env"]["TOKEN"] == "${{ github.token }}"  # through env, never inside the script
        assert "${{" not in token["run"] and "x-access-token:${TOKEN}@" in token["run"]
    keys = workflow["env"]
    assert keys["AWS_ACCESS_KEY_ID"] == "${{ secrets.AWS_ACCESS_KEY_ID }}"
    assert keys["AWS_SECRET_ACCESS_KEY"] == "${{ secrets.AWS_SECRET_ACCESS_KEY }}"
