"""Regenerate the SDK's derived sources; `--check` fails (exit 1) when a committed one is stale.

1. `src/mailpass_sdk/models/`: one frozen dataclass per result schema of the repository's
   `openapi.json` (the `*Response` envelopes are unwrapped by the client), each with a
   `from_dict` that reads exactly the fields the contract declares. One module per API resource
   (the operations' tag: `mail.py`, `webhooks.py`, ...), `shared.py` for what several use, and
   `__init__.py` re-exporting them all (`from mailpass_sdk.models import SendResult`). A schema
   change that is not regenerated fails `make test` (tests/sdk/python/test_surface.py), so
   models never drift.
2. `src/mailpass_sdk/_sync/`: the synchronous client, written by `unasync` from `_async/`, so the
   sync and async surfaces are one source and cannot drift either.

Run it with the repository's venv: `.venv/bin/python sdks/python/scripts/generate.py`
(`make openapi` runs it after writing openapi.json)."""

from __future__ import annotations

import argparse
import json
import keyword
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path
from typing import Any

SDK = Path(__file__).resolve().parents[1]
PACKAGE = SDK / "src" / "mailpass_sdk"
OPENAPI = SDK.parents[1] / "openapi.json"

HEADER = '''"""{what}.

Generated from openapi.json by sdks/python/scripts/generate.py: do not edit. Each is a frozen
dataclass with attribute access; `raw` keeps the JSON object as received, so a field the server
adds later is readable before the SDK is regenerated."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mailpass_sdk._base import {base}
{imports}
'''
SHARED = "shared"  # the module of the schemas several resources use (and any no operation does)

SCALARS = {"string": "str", "integer": "int", "number": "float", "boolean": "bool"}


def _ref(schema: dict[str, Any]) -> str | None:
    ref = schema.get("$ref")
    return ref.rsplit("/", 1)[1] if isinstance(ref, str) else None


def _nullable(schema: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    options = schema.get("anyOf") or schema.get("oneOf")
    if options:
        real = [o for o in options if o.get("type") != "null"]
        if len(real) == 1:
            return real[0], len(real) < len(options)
        return {}, len(real) < len(options)
    return schema, False


def annotation(schema: dict[str, Any]) -> str:
    """The Python type of a schema (its null-ness handled by the caller)."""
    if (name := _ref(schema)) is not None:
        return name
    kind = schema.get("type")
    if kind == "array":
        return f"list[{annotation(_nullable(schema.get('items', {}))[0])}]"
    if kind == "object":
        return "dict[str, Any]"
    return SCALARS.get(str(kind), "Any")


def converter(schema: dict[str, Any], value: str) -> str:
    """An expression turning the JSON `value` into the annotated type."""
    if (name := _ref(schema)) is not None:
        return f"{name}.from_dict({value})"
    if schema.get("type") == "array":
        item, _ = _nullable(schema.get("items", {}))
        if _ref(item) is not None or item.get("type") == "array":
            return f"[{converter(item, 'item')} for item in {value}]"
        return f"list({value})"
    if schema.get("type") == "object":
        return f"dict({value})"
    return value


def field_name(name: str) -> str:
    """A Python attribute for a JSON field: keywords get a trailing _ (`from` -> `from_`), as
    does `raw` (the model's own); other characters than letters, digits and _ become _."""
    attr = re.sub(r"\W", "_", name)
    if attr[:1].isdigit():
        attr = f"_{attr}"
    return f"{attr}_" if keyword.iskeyword(attr) or attr in {"raw", "to_dict"} else attr


def render_model(name: str, schema: dict[str, Any]) -> str:
    required = set(schema.get("required", []))
    props: dict[str, Any] = schema.get("properties", {})
    doc = (schema.get("description") or f"The `{name}` schema of openapi.json.").strip()
    doc = " ".join(doc.split())
    lines = ["@dataclass(frozen=True, kw_only=True)", f"class {name}(Model):"]
    lines.append('    """' + "\n    ".join(textwrap.wrap(doc, 88)) + '"""')
    lines.append("")
    reads: list[str] = []
    for prop, raw in props.items():
        inner, nullable = _nullable(raw)
        ann = annotation(inner)
        attr = field_name(prop)
        collection = inner.get("type") in {"array", "object"} and _ref(inner) is None
        if prop in required and not nullable:
            read = converter(inner, f'data["{prop}"]')
        elif collection and not nullable:
            empty = "[]" if inner.get("type") == "array" else "{}"
            read = converter(inner, f'data.get("{prop}") or {empty}')
        else:
            ann = f"{ann} | None"
            conv = converter(inner, "value")
            if conv == "value":
                read = f'data.get("{prop}")'
            elif re.fullmatch(r"[\w.]+\(value\)", conv):
                read = f'opt({conv.removesuffix("(value)")}, data.get("{prop}"))'
            else:
                read = f'opt(lambda value: {conv}, data.get("{prop}"))'
        lines.append(f"    {attr}: {ann}")
        reads.append(f"            {attr}={read},")
    lines += [
        "",
        "    @classmethod",
        f"    def from_dict(cls, data: dict[str, Any]) -> {name}:",
        "        return cls(",
        *reads,
        "            raw=data,",
        "        )",
    ]
    return "\n".join(lines)


def result_names(spec: dict[str, Any]) -> list[str]:
    """The schemas that become models: not the `*Response` envelopes, and with properties."""
    schemas: dict[str, Any] = spec["components"]["schemas"]
    return [n for n in schemas if not n.endswith("Response") and "properties" in schemas[n]]


def render_models(
    spec: dict[str, Any],
    names: list[str] | None = None,
    what: str = "Result models",
    imports: str = "",
) -> str:
    """One module of `names` (default: every result schema)."""
    schemas: dict[str, Any] = spec["components"]["schemas"]
    names = result_names(spec) if names is None else names
    body = "\n\n\n".join(render_model(n, schemas[n]) for n in names)
    exports = "\n".join(f'    "{n}",' for n in sorted(names))
    base = "Model, opt" if "opt(" in body else "Model"
    header = HEADER.format(what=what, base=base, imports=imports)
    return f"{header}\n{body}\n\n\n__all__ = [\n{exports}\n]\n"


def _refs(node: Any) -> set[str]:
    """The schema names `node` refers to, directly."""
    if isinstance(node, dict):
        own = {name} if (name := _ref(node)) is not None else set()
        return own.union(*(_refs(v) for v in node.values()))
    if isinstance(node, list):
        return set().union(*(_refs(v) for v in node))
    return set()


def _closure(start: set[str], schemas: dict[str, Any]) -> set[str]:
    found: set[str] = set()
    todo = list(start)
    while todo:
        name = todo.pop()
        if name not in found and name in schemas:
            found.add(name)
            todo += _refs(schemas[name])
    return found


def modules_of(spec: dict[str, Any]) -> dict[str, list[str]]:
    """Module name -> its schemas: a schema goes with the one resource (the operations' tag)
    whose operations use it, directly or through another schema; to `shared` when several do."""
    schemas: dict[str, Any] = spec["components"]["schemas"]
    used: dict[str, set[str]] = {}  # tag -> schemas its operations reach
    for ops in spec.get("paths", {}).values():
        for op in ops.values():
            for tag in op.get("tags", [SHARED]):
                used.setdefault(tag, set()).update(_closure(_refs(op), schemas))
    modules: dict[str, list[str]] = {}
    for name in result_names(spec):
        users = [tag for tag, reached in used.items() if name in reached]
        module = users[0].replace("-", "_") if len(users) == 1 else SHARED
        modules.setdefault(module, []).append(name)
    return dict(sorted(modules.items()))


def render_package(spec: dict[str, Any]) -> dict[str, str]:
    """File name -> source: the modules of `modules_of`, and `__init__.py` re-exporting them."""
    schemas: dict[str, Any] = spec["components"]["schemas"]
    modules = modules_of(spec)
    shared = set(modules.get(SHARED, []))
    files: dict[str, str] = {}
    for module, names in modules.items():
        needed = sorted(set().union(*(_refs(schemas[n]) for n in names)) & shared - set(names))
        imports = (
            f"from mailpass_sdk.models.{SHARED} import {', '.join(needed)}\n" if needed else ""
        )
        what = (
            "Result models several resources use"
            if module == SHARED
            else f"Result models of the `{module}` resource"
        )
        files[f"{module}.py"] = render_models(spec, names, what, imports)
    lines = [
        '"""The result models, one module per API resource, generated from openapi.json by',
        'sdks/python/scripts/generate.py: do not edit."""',
        "",
    ]
    lines += [
        f"from mailpass_sdk.models.{module} import {', '.join(names)}"
        for module, names in modules.items()
    ]
    everything = sorted(n for names in modules.values() for n in names)
    lines += ["", "__all__ = [", *(f'    "{n}",' for n in everything), "]", ""]
    files["__init__.py"] = "\n".join(lines)
    return files


def unasync_into(target: Path) -> None:
    import unasync

    sources = sorted(str(p) for p in (PACKAGE / "_async").glob("*.py"))
    rule = unasync.Rule(
        fromdir=str(PACKAGE / "_async") + "/",
        todir=str(target) + "/",
        additional_replacements={
            "AsyncMailPass": "MailPass",
            "AsyncClient": "Client",
            "AsyncIterator": "Iterator",
            "AsyncHTTPTransport": "HTTPTransport",
            "AsyncBaseTransport": "BaseTransport",
            "aclose": "close",
            "asleep": "sleep",
            "_async": "_sync",
        },
    )
    unasync.unasync_files(sources, rules=[rule])


def ruff_format(*paths: Path) -> None:
    # The SDK's settings (sdks/python/pyproject.toml), also for a scratch copy outside the tree.
    config = ["--config", str(SDK / "pyproject.toml")]
    files = [str(p) for p in paths]
    ruff = [sys.executable, "-m", "ruff"]
    # unasync renames imports (asleep -> sleep), which can leave them out of order.
    subprocess.run(
        [*ruff, "check", "--quiet", "--fix", "--select", "I", *config, *files], check=True
    )
    subprocess.run([*ruff, "format", "--quiet", *config, *files], check=True)


def generate(out: Path) -> None:
    """Write every derived file under `out` (the package directory, or a scratch copy)."""
    spec = json.loads(OPENAPI.read_text())
    models = out / "models"
    for derived in (models, out / "_sync"):
        if derived.exists():
            shutil.rmtree(derived)
        derived.mkdir(parents=True)
    for name, source in render_package(spec).items():
        (models / name).write_text(source)
    unasync_into(out / "_sync")
    ruff_format(models, out / "_sync")


def stale() -> list[str]:
    """The derived files whose committed text differs from a fresh generation."""
    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp) / "mailpass_sdk"
        scratch.mkdir()
        generate(scratch)
        fresh = {p.relative_to(scratch) for p in scratch.rglob("*.py")}
        committed = {
            p.relative_to(PACKAGE)
            for derived in ("_sync", "models")
            for p in (PACKAGE / derived).rglob("*.py")
        }
        out = []
        for rel in sorted(fresh | committed):
            new, old = scratch / rel, PACKAGE / rel
            if not new.exists() or not old.exists() or new.read_text() != old.read_text():
                out.append(str(Path("sdks/python/src/mailpass_sdk") / rel))
        return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail when a derived file is stale")
    args = parser.parse_args(argv)
    if args.check:
        diff = stale()
        for path in diff:
            print(f"stale: {path} (run sdks/python/scripts/generate.py)", file=sys.stderr)
        return 1 if diff else 0
    generate(PACKAGE)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
