"""Where the PHP SDK and its tools are; the tools come from Debian (make sdk-php-deps)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
SDK = ROOT / "sdks" / "php"
OPENAPI = ROOT / "openapi.json"


def tool(name: str) -> str:
    """A Debian PHP tool, or a failure that says how to install it: `make test` installs them,
    so a missing tool means a broken setup, not a reason to skip the SDK's suite."""
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} not found: run `make sdk-php-deps` (apt-get install php-cli ...)")
    return path


def php_files() -> list[Path]:
    sources = (p for d in ("src", "tests", "examples", "tools") for p in (SDK / d).rglob("*.php"))
    return [*sorted(sources), SDK / "autoload.php"]
