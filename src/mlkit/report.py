"""A self-contained HTML report: images embedded as data URIs, no script, no network needed to view it."""

import base64
import html
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

STYLE = """
body { font-family: system-ui, sans-serif; max-width: 1100px; margin: 2em auto; color: #222; }
h1 { border-bottom: 2px solid #4C72B0; } h2 { margin-top: 2em; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; margin: 1em 0; font-size: 0.9em; }
td, th { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: right; }
th { background: #f3f5f9; } td:first-child, th:first-child { text-align: left; }
.figures { display: flex; flex-wrap: wrap; gap: 1em; } .figures img { max-width: 520px; }
.note { background: #fff8e1; border-left: 4px solid #f0b400; padding: 0.6em 1em; }
"""


def counts_text(pairs: list) -> str:
    """`[key, count]` pairs, the form rankings take in JSON (whose keys `write_json` sorts), as
    "key (count), key (count)"."""
    return ", ".join(f"{key} ({count})" for key, count in pairs)


@dataclass
class Section:
    """A titled part of the report; its body is built from the add_* methods, in order."""

    title: str
    parts: list[str] = field(default_factory=list)

    def add_text(self, text: str, note: bool = False) -> "Section":
        css = ' class="note"' if note else ""
        self.parts.append(f"<p{css}>{html.escape(text)}</p>")
        return self

    def add_table(self, table: pd.DataFrame, float_format: str = "{:.4f}") -> "Section":
        formatters = {
            column: float_format.format for column in table.columns if table[column].dtype.kind == "f"
        }
        self.parts.append(table.to_html(index=False, formatters=formatters, border=0, na_rep="-"))
        return self

    def add_mapping(self, mapping: dict, key: str = "item", value: str = "value") -> "Section":
        rows = [(k, v if isinstance(v, str | int | float) else str(v)) for k, v in mapping.items()]
        return self.add_table(pd.DataFrame(rows, columns=[key, value]).astype({value: "str"}))

    def add_images(self, images: list[Path]) -> "Section":
        tags = "".join(_image_tag(path) for path in images)
        self.parts.append(f'<div class="figures">{tags}</div>')
        return self


def _image_tag(path: Path) -> str:
    data = base64.b64encode(Path(path).read_bytes()).decode("ascii")
    alt = html.escape(Path(path).stem.replace("_", " "))
    return f'<figure><img alt="{alt}" src="data:image/png;base64,{data}"></figure>'


def render(title: str, sections: list[Section]) -> str:
    """The whole page as one string (deterministic: no dates, no paths, no randomness)."""
    body = "".join(
        f'<section><h2 id="s{i}">{html.escape(s.title)}</h2>{"".join(s.parts)}</section>'
        for i, s in enumerate(sections)
    )
    toc = "".join(f'<li><a href="#s{i}">{html.escape(s.title)}</a></li>' for i, s in enumerate(sections))
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{STYLE}</style></head>"
        f"<body><h1>{html.escape(title)}</h1><ul>{toc}</ul>{body}</body></html>\n"
    )
