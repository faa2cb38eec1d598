"""FOMM Studio application shell: settings, model registry, media I/O, CLI (no Qt here)."""
