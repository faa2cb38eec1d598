"""Tree-wide rules: layering without Qt below ui, and no unsafe loading or shell use anywhere."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("engine", "trainer", "fomm_studio", "ui")


def source_files() -> list[Path]:
    """Everything that ships or runs by hand: the packages, main.py and the benchmarks (not tests)."""
    files = [f for p in PACKAGES for f in (REPO / p).rglob("*.py")]
    return [*files, REPO / "main.py", *(REPO / "benchmarks").glob("*.py")]


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
    r"yaml\.(unsafe_|full_)?load(_all)?\(": "yaml.load (use yaml.safe_load)",
    r"torch\.load\(": "torch.load",
    # Other loaders that run code from a file, or spawn a shell.
    r"pickle\.Unpickler\(|marshal\.loads?\(|shelve\.open\(|joblib\.load\(|dill\.loads?\(": "code-running loader",
    r"allow_pickle\s*=\s*True": "np.load with allow_pickle=True",
    r"torch\.jit\.load\(|torch\.hub\.load\(|load_state_dict_from_url\(": "torch loader around the safe one",
    r"os\.(spawn|exec)[lv]p?e?\(|pty\.spawn\(": "os.spawn*/exec*",
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


SUBPROCESS_CALLS = {"run", "Popen", "call", "check_call", "check_output", "getoutput", "getstatusoutput"}


def _is_command_string(node: ast.expr) -> bool:
    """A literal, f-string, concatenation or format/join that builds one command string."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str)
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Mod)):
        return _is_command_string(node.left) or _is_command_string(node.right)
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in ("format", "join")
        and isinstance(node.func.value, ast.Constant)
        and isinstance(node.func.value.value, str)
    )


def _command_string_calls(tree: ast.AST) -> list[tuple[int, str]]:
    """subprocess.* and QProcess starts whose command is one string (shell-style) instead of a list."""
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
            continue
        name, owner = node.func.attr, node.func.value
        first = node.args[0] if node.args else None
        if isinstance(owner, ast.Name) and owner.id == "subprocess" and name in SUBPROCESS_CALLS:
            if name in ("getoutput", "getstatusoutput") or (first is not None and _is_command_string(first)):
                found.append((node.lineno, f"subprocess.{name} with a command string"))
        elif name == "startCommand":  # QProcess.startCommand splits one string like a shell
            found.append((node.lineno, "QProcess.startCommand"))
        elif (
            name in ("start", "startDetached", "execute")
            and len(node.args) == 1
            and _is_command_string(first)
        ):
            found.append((node.lineno, f"QProcess.{name} with one command string"))
    return found


def test_processes_are_started_with_argument_lists() -> None:
    found = []
    for file in source_files():
        tree = ast.parse(file.read_text(encoding="utf-8"), filename=str(file))
        found += [f"{file.relative_to(REPO)}:{line}: {what}" for line, what in _command_string_calls(tree)]
    assert found == []


def test_the_process_scan_catches_command_strings() -> None:
    """The scan above would see the usual ways of building one command string."""
    bad = (
        "subprocess.run('ffmpeg -i ' + path)\n"
        "subprocess.Popen(f'fomm train {args}')\n"
        "subprocess.check_output(' '.join(argv))\n"
        "subprocess.getoutput(command)\n"
        "process.startCommand(command)\n"
        "QProcess.startDetached('python3 -m trainer.train')\n"
    )
    good = "subprocess.run([sys.executable, '-m', 'x'])\nsubprocess.Popen(command)\nprocess.start(program, arguments)\n"
    assert len(_command_string_calls(ast.parse(bad))) == 6
    assert _command_string_calls(ast.parse(good)) == []


def test_openvino_is_imported_lazily_by_one_engine_module() -> None:
    """The exported backend's runtime is optional: one module imports it, inside a function, so the app
    imports and runs on torch without it."""
    found = []
    for file in source_files():
        for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            if any(name.split(".")[0] == "openvino" for name in names):
                found.append((str(file.relative_to(REPO)), node.col_offset > 0))
    assert found == [("engine/backends/openvino_backend.py", True)]
