"""dvc.yaml is the single source of the stage graph: it must declare every file a stage reads.

DVC's caching is only right if each stage lists the code it runs: a module missing from `deps` would let
`dvc repro` skip a stage whose code changed.
"""

import ast
from pathlib import Path

import pathspec
import yaml

from conftest import PROJECT

SRC = PROJECT / "src"
PACKAGES = ("flights", "mlkit")


def module_file(name: str) -> Path | None:
    base = SRC / name.replace(".", "/")
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.exists():
            return candidate
    return None


def imported(path: Path) -> set[str]:
    """Modules of this project that a file imports (a `from a import b` may import module a.b)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
    return {name for name in names if name.split(".")[0] in PACKAGES}


def only_a_docstring(path: Path) -> bool:
    body = ast.parse(path.read_text()).body
    return all(isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) for node in body)


def code_of(module: str) -> set[str]:
    """Every project file that running `python -m module` executes (parent packages included)."""
    seen: set[Path] = set()
    todo = [module]
    while todo:
        name = todo.pop()
        path = module_file(name)
        if path is None or path in seen:
            continue
        seen.add(path)
        parts = name.split(".")
        todo += [".".join(parts[:i]) for i in range(1, len(parts))]
        todo += imported(path)
    return {p.relative_to(PROJECT).as_posix() for p in seen if not only_a_docstring(p)}


def stages() -> dict:
    return yaml.safe_load((PROJECT / "dvc.yaml").read_text())["stages"]


def seen_by_dvc(dep: str) -> set[str]:
    """The Python files DVC hashes for a code dependency: the file, or a folder's files that .dvcignore
    leaves in (gitignore rules, as DVC applies them)."""
    ignored = pathspec.GitIgnoreSpec.from_lines((PROJECT / ".dvcignore").read_text().splitlines())
    root = PROJECT / dep
    files = [root] if root.is_file() else root.rglob("*.py")
    names = {f.relative_to(PROJECT).as_posix() for f in files}
    return {name for name in names if not ignored.match_file(name)}


def code_deps(stage: dict) -> dict[str, set[str]]:
    return {dep: seen_by_dvc(dep) for dep in stage["deps"] if dep.startswith("src/")}


def test_every_stage_declares_the_code_it_runs():
    for name, stage in stages().items():
        module = stage["cmd"].split(" -m ")[1].split()[0]
        assert module == f"flights.stages.{name}", f"stage {name} runs {module}: name and module must match"
        declared = code_deps(stage)
        missing = code_of(module) - set().union(*declared.values())
        assert not missing, (
            f"stage '{name}' runs code it does not declare in dvc.yaml deps: {sorted(missing)}"
        )
        stale = {dep for dep, files in declared.items() if not files & code_of(module)}
        assert not stale, f"stage '{name}' declares code it does not run: {sorted(stale)}"


NO_STAGE_RUNS = (
    "src/mlkit/tooling/",
    "src/flights/tooling/",
    "src/mlkit/serving.py",
    "src/mlkit/service_process.py",
    "src/flights/delivery/",
)
STAGES_RUN = ("src/flights/delivery/score.py", "src/flights/delivery/report/")  # of delivery: batch, report


def test_an_edit_to_the_tooling_or_the_service_re_runs_no_stage():
    """The PR report, the sweep, verify and the HTTP service sit in no stage's dependencies (of delivery,
    only batch scoring's module and the report's folder are declared)."""
    for name, stage in stages().items():
        for dep, files in code_deps(stage).items():
            caught = {f for f in files if f.startswith(NO_STAGE_RUNS) and not f.startswith(STAGES_RUN)}
            assert not caught, f"stage '{name}' depends on {sorted(caught)} through {dep}"
    assert seen_by_dvc("src/mlkit") and not seen_by_dvc("src/mlkit/tooling")


def test_every_stage_reads_its_own_params_section():
    params = yaml.safe_load((PROJECT / "params.yaml").read_text())
    for name, stage in stages().items():
        sections = {entry.split(".")[0] for entry in stage.get("params", []) if isinstance(entry, str)}
        assert sections <= set(params), f"stage {name} reads unknown params {sections - set(params)}"
        if name in params:
            assert name in sections, f"stage {name} has a params section but does not declare it"


def declared_paths(entries: list) -> set[str]:
    """The paths of a stage's outs/metrics/plots list (an entry is a path or {path: options})."""
    return {path for entry in entries for path in ([entry] if isinstance(entry, str) else entry)}


def test_every_stage_can_be_restored_from_the_run_cache():
    """DVC saves no run-cache entry for a stage with an uncached output that is neither a metric nor a
    plot (dvc.stage.Stage.run): `dvc exp run` would then re-run it instead of restoring it."""
    for name, stage in stages().items():
        for entry in stage.get("outs", []):
            path, options = (entry, {}) if isinstance(entry, str) else next(iter(entry.items()))
            assert options.get("cache", True), f"stage {name}: {path} is an uncached plain output"
    orphans = set()
    plots = yaml.safe_load((PROJECT / "dvc.yaml").read_text())["plots"]
    outputs = set().union(
        *(declared_paths(s.get(kind, [])) for s in stages().values() for kind in ("outs", "plots"))
    )
    for entry in plots:
        [(name, spec)] = entry.items()
        for path in set(spec["y"]) if isinstance(spec.get("y"), dict) else {name}:
            if not any(path == o or path.startswith(f"{o}/") for o in outputs):
                orphans.add(path)
    assert not orphans, f"plots that no stage writes: {sorted(orphans)}"
