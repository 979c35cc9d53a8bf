"""The stage graph and the make targets, read from dvc.yaml and the Makefile so that they cannot drift."""

from __future__ import annotations

import re

import yaml

from docsgen.sources import Sources, table


def _paths(entries: object) -> list[str]:
    """Paths of a dvc.yaml deps/outs/metrics/plots list, whose items are paths or {path: options}."""
    if not isinstance(entries, list):
        return []
    return [key for item in entries for key in ([item] if isinstance(item, str) else item)]


def _params(entries: object) -> list[str]:
    found = []
    for item in entries if isinstance(entries, list) else []:
        if isinstance(item, str):
            found.append(item)
        else:  # {params.yaml: [section, ...]} or {other.yaml: ...}
            for source, keys in item.items():
                found += keys if isinstance(keys, list) else [source]
    return found


def _overlap(a: str, b: str) -> bool:
    a, b = a.rstrip("/"), b.rstrip("/")
    return a == b or a.startswith(b + "/") or b.startswith(a + "/")


def graph(src: Sources) -> tuple[list[str], list[tuple[str, str]]]:
    """The stages of dvc.yaml and their edges: A -> B when an output of A is a dependency of B."""
    stages = yaml.safe_load((src.root / "dvc.yaml").read_text())["stages"]
    names = sorted(stages)
    outputs = {
        n: [p for kind in ("outs", "metrics", "plots") for p in _paths(stages[n].get(kind))] for n in names
    }
    edges = [
        (a, b)
        for a in names
        for b in names
        if a != b and any(_overlap(out, dep) for out in outputs[a] for dep in _paths(stages[b].get("deps")))
    ]
    return names, edges


def stage_graph(src: Sources) -> str:
    """The stage graph as Mermaid, in the form of `dvc dag --mermaid` (GitHub draws it)."""
    names, edges = graph(src)
    number = {name: i for i, name in enumerate(names, start=1)}
    lines = ["```mermaid", "flowchart TD", *(f'\tnode{number[n]}["{n}"]' for n in names)]
    lines += [
        f"\tnode{number[a]}-->node{number[b]}"
        for a, b in sorted(edges, key=lambda e: (number[e[0]], number[e[1]]))
    ]
    return "\n".join([*lines, "```"])


def _order(names: list[str], edges: list[tuple[str, str]]) -> list[str]:
    """The stages in an order DVC could run them (upstream first, ties by name)."""
    done: list[str] = []
    while len(done) < len(names):
        ready = [n for n in names if n not in done and all(a in done for a, b in edges if b == n)]
        if not ready:  # a cycle: DVC refuses it; show the rest as is
            return done + [n for n in names if n not in done]
        done.append(ready[0])
    return done


def _folded(paths: list[str]) -> list[str]:
    """Paths as code, three or more files of one folder shown as that folder."""
    parents: dict[str, list[str]] = {}
    for path in paths:
        parents.setdefault(path.rsplit("/", 1)[0] if "/" in path else "", []).append(path)
    shown = []
    for path in paths:
        parent = path.rsplit("/", 1)[0] if "/" in path else ""
        if len(parents[parent]) < 3:
            shown.append(f"`{path}`")
        elif f"`{parent}/` ({len(parents[parent])} files)" not in shown:
            shown.append(f"`{parent}/` ({len(parents[parent])} files)")
    return shown


def stage_table(src: Sources) -> str:
    """Each stage, in run order: the stages it reads from, its params sections and what it writes."""
    stages = yaml.safe_load((src.root / "dvc.yaml").read_text())["stages"]
    names, edges = graph(src)
    rows = []
    for name in _order(names, edges):
        stage = stages[name]
        after = ", ".join(a for a, b in edges if b == name) or "the source tables"
        params = ", ".join(f"`{p}`" for p in _params(stage.get("params"))) or "-"
        writes = ", ".join(
            _folded([p for kind in ("outs", "metrics", "plots") for p in _paths(stage.get(kind))])
        )
        rows.append([f"`{name}`", after, params, writes])
    return table(["stage", "after", "params", "writes"], rows)


def make_targets(src: Sources) -> str:
    """The Makefile's documented targets (`make help`)."""
    found = re.findall(r"^([a-z][a-z-]*):[^\n]*?## (.+)$", (src.root / "Makefile").read_text(), re.MULTILINE)
    return table(["target", "what it does"], [[f"`make {name}`", what.strip()] for name, what in found])
