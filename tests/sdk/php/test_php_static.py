"""Checks over the PHP SDK's sources that need no stack: php -l, PSR-12 (phpcs from Debian), the
SDK's own static check (tools/check.php), the package manifest, the coverage of openapi.json,
and the README's examples being the files the suite runs."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.sdk.php.php import OPENAPI, ROOT, SDK, php_files, tool

# Operations the SDK leaves out on purpose, with why.
NOT_IN_THE_SDK = {
    # The tracking pixel and the click redirect are fetched by recipients' mail clients from
    # links MailPass writes into messages; they take no API key and no server calls them.
    "trackOpen": "fetched by mail clients from the tracking pixel, not by API callers",
    "trackClick": "followed by recipients from rewritten links, not by API callers",
}

ENDPOINT_TAG = re.compile(r"@endpoint\s+(GET|POST|PUT|PATCH|DELETE)\s+(\S+)")


def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(a) for a in args], capture_output=True, text=True, timeout=120, check=False
    )


def test_every_file_lints() -> None:
    php = tool("php")
    failures = [
        f"{path}: {out.stdout}{out.stderr}"
        for path in php_files()
        if (out := run(php, "-l", path)).returncode != 0
    ]
    assert failures == []


def test_psr12() -> None:
    out = run(
        tool("phpcs"),
        "-n",
        "--standard=PSR12",
        SDK / "src",
        SDK / "autoload.php",
        SDK / "examples",
        SDK / "tests",
        SDK / "tools",
    )
    assert out.returncode == 0, out.stdout + out.stderr


def test_static_check_passes() -> None:
    out = run(tool("php"), SDK / "tools" / "check.php")
    assert out.returncode == 0, out.stdout + out.stderr


def test_static_check_finds_what_it_looks_for(tmp_path: Path) -> None:
    tree = tmp_path / "php"
    shutil.copytree(SDK, tree, ignore=shutil.ignore_patterns("vendor"))
    (tree / "src" / "Loose.php").write_text(
        "<?php\n\nnamespace MailPass;\n\nfinal class Loose\n{\n"
        "    public function f(): string\n    {\n        return mb_strtolower('X');\n    }\n}\n"
    )
    (tree / "src" / "Misplaced.php").write_text(
        "<?php\n\ndeclare(strict_types=1);\n\n"
        "namespace MailPass\\Other;\n\nfinal class Misplaced\n{\n}\n"
    )
    out = run(tool("php"), tree / "tools" / "check.php", tree)
    assert out.returncode == 1
    assert "Loose.php: does not start with declare(strict_types=1);" in out.stderr
    assert "mb_strtolower() comes from ext-mbstring" in out.stderr
    assert "Misplaced.php: does not define MailPass\\Misplaced (PSR-4)" in out.stderr


def operations(spec: dict[str, object]) -> dict[tuple[str, str], str]:
    paths = spec["paths"]
    assert isinstance(paths, dict)
    return {
        (method.upper(), path): op["operationId"]
        for path, ops in paths.items()
        for method, op in ops.items()
    }


def sdk_endpoints(src: Path) -> set[tuple[str, str]]:
    """The `@endpoint METHOD /path` tags, each in the docblock right above a public method."""
    found = set()
    for path in src.rglob("*.php"):
        for block in re.finditer(r"/\*\*(.*?)\*/\s*public function", path.read_text(), re.S):
            found.update(ENDPOINT_TAG.findall(block.group(1)))
    return found


def missing_operations(spec: dict[str, object], src: Path) -> list[str]:
    covered = sdk_endpoints(src)
    return sorted(
        f"{op_id} ({method} {path})"
        for (method, path), op_id in operations(spec).items()
        if (method, path) not in covered and op_id not in NOT_IN_THE_SDK
    )


def test_every_operation_in_openapi_has_a_php_method() -> None:
    spec = json.loads(OPENAPI.read_text())
    assert missing_operations(spec, SDK / "src") == [], (
        "operations without a PHP SDK method: add one to sdks/php/src/Resource with an "
        "`@endpoint METHOD /path` tag"
    )


def test_the_coverage_check_names_a_new_endpoint() -> None:
    spec = json.loads(OPENAPI.read_text())
    spec["paths"]["/api/v1/widgets"] = {"get": {"operationId": "listWidgets"}}
    assert missing_operations(spec, SDK / "src") == ["listWidgets (GET /api/v1/widgets)"]


def test_the_exclusions_are_still_in_openapi() -> None:
    ids = set(operations(json.loads(OPENAPI.read_text())).values())
    assert set(NOT_IN_THE_SDK) <= ids


def test_composer_manifest() -> None:
    manifest = json.loads((SDK / "composer.json").read_text())
    assert manifest["name"] == "mailpass/mailpass-php"
    assert manifest["autoload"]["psr-4"] == {"MailPass\\": "src/"}
    # Packagist is out of reach: nothing but PHP and its bundled extensions at run time.
    assert manifest["require"] == {"php": ">=8.1", "ext-curl": "*", "ext-json": "*"}


README_BLOCK = re.compile(r"<!-- example: (\S+) -->\n```php\n(.*?)```", re.S)


@pytest.mark.parametrize("readme", [SDK / "README.md", ROOT / "README.md"], ids=["sdk", "main"])
def test_readme_examples_are_the_files_the_suite_runs(readme: Path) -> None:
    blocks = README_BLOCK.findall(readme.read_text())
    assert blocks, f"{readme} shows no `<!-- example: ... -->` block"
    for name, body in blocks:
        assert body == (SDK / name).read_text(), f"{readme}: the block for {name} differs"


def test_the_sdk_readme_shows_every_example() -> None:
    shown = {name for name, _ in README_BLOCK.findall((SDK / "README.md").read_text())}
    assert shown == {f"examples/{p.name}" for p in (SDK / "examples").glob("*.php")}
