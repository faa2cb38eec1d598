"""Tree-wide rules: layering without Qt below ui, and no unsafe loading or shell use anywhere."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("engine", "trainer", "fomm_studio", "ui")


def source_files() -> list[Path]:
    files = [f for p in PACKAGES for f in (REPO / p).rglob("*.py")]
    return [*files, REPO / "main.py"]


def test_lower_layers_import_without_qt() -> None:
    code = (
        "import sys, importlib, pkgutil\n"
        "for pkg in ('engine', 'trainer', 'fomm_studio'):\n"
        "    mod = importlib.import_module(pkg)\n"
        "    for info in pkgutil.walk_packages(mod.__path__, pkg + '.'):\n"
        "        importlib.import_module(info.name)\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('PySide6', 'pyqtgraph', 'ui'))\n"
        "print(bad)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


UNSAFE = {
    r"(?<![\w.])(?<!def )eval\(": "eval",
    r"(?<![\w.])(?<!def )exec\(": "exec",
    r"shell\s*=\s*True": "subprocess with shell=True",
    r"os\.system\(": "os.system",
    r"os\.popen\(": "os.popen",
    r"pickle\.loads?\(": "pickle.load",
    r"yaml\.load\(": "yaml.load (use yaml.safe_load)",
    r"torch\.load\(": "torch.load",
}


def test_no_unsafe_calls_outside_the_safe_loader() -> None:
    found = []
    for file in source_files():
        text = file.read_text(encoding="utf-8")
        for pattern, what in UNSAFE.items():
            if re.search(pattern, text):
                rel = str(file.relative_to(REPO))
                if what == "torch.load" and rel == "engine/checkpoint.py":
                    continue
                found.append(f"{rel}: {what}")
    assert found == []


def test_every_torch_load_is_weights_only() -> None:
    text = (REPO / "engine" / "checkpoint.py").read_text(encoding="utf-8")
    calls = re.findall(r"torch\.load\(([^)]*)\)", text)
    assert calls and all("weights_only=True" in c for c in calls)
