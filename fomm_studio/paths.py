"""Where the app's bundled files live: YAML configs inside the package, assets beside it in the checkout.

One module, so that moving a subpackage never silently changes where a path points."""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_ROOT = PACKAGE_DIR.parent
ASSETS_DIR = REPO_ROOT / "assets"
CONFIGS_DIR = PACKAGE_DIR / "configs"
