"""docs/ci.md: its GitHub Actions and GitLab CI jobs are valid YAML and run the README's one CI line
(which tests/live/test_run_gates.py exercises: `loadgate run smoke` ends in the verdict)."""

from __future__ import annotations

import re

import pytest
import yaml

from loadgate.paths import ROOT

DOC = (ROOT / "docs/ci.md").read_text()


def readme_ci_line() -> str:
    section = (ROOT / "README.md").read_text().split("## CI and live results", 1)[1].split("\n## ", 1)[0]
    [block] = re.findall(r"```bash\n(.*?)```", section, re.S)
    [line] = block.strip().splitlines()
    return line


def yaml_blocks() -> dict[str, dict]:
    blocks = [yaml.safe_load(b) for b in re.findall(r"```yaml\n(.*?)```", DOC, re.S)]
    github = [b for b in blocks if "jobs" in b]
    gitlab = [b for b in blocks if "jobs" not in b]
    assert len(github) == len(gitlab) == 1, blocks
    return {"github": github[0], "gitlab": gitlab[0]}


def test_the_readmes_ci_example_is_one_loadgate_run_line():
    assert re.fullmatch(r"scripts/setup\.sh && \.venv/bin/loadgate run smoke --out runs", readme_ci_line())


def test_the_github_actions_job_runs_the_readme_line_and_keeps_the_run_directory():
    job = yaml_blocks()["github"]["jobs"]["smoke"]
    runs = [step["run"] for step in job["steps"] if "run" in step]
    assert readme_ci_line() in runs
    [upload] = [s for s in job["steps"] if s.get("uses", "").startswith("actions/upload-artifact")]
    assert upload["if"] == "always()" and upload["with"]["path"] == "runs/"


def test_the_gitlab_job_runs_the_readme_line_and_reports_junit():
    job = yaml_blocks()["gitlab"]["load-test"]
    assert readme_ci_line() in job["script"]
    assert job["artifacts"]["when"] == "always"
    assert job["artifacts"]["reports"]["junit"] == "runs/*/junit.xml"


@pytest.mark.parametrize("name", ["github", "gitlab"])
def test_no_secret_is_written_into_a_ci_file(name):
    text = yaml.safe_dump(yaml_blocks()[name])
    assert not re.search(r"://[^/\s]*:[^/\s]*@", text), "credentials in a URL"
    assert "LOADGATE_REMOTE_WRITE_URL: http" not in text
