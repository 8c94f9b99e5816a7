"""Flows orchestrate, the library does the work: `pipeline/` never imports prefect or typer."""

import ast
from pathlib import Path

PIPELINE = Path(__file__).resolve().parent.parent / "pipeline"


def test_pipeline_never_imports_prefect_or_typer():
    offenders = []
    for path in PIPELINE.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [f"{path.name}: {n}" for n in names if n.split(".")[0] in ("prefect", "typer", "prefect_dask")]
    assert offenders == []
