"""After `sam build`: is the package what Lambda (python3.13, arm64) will load?"""

from __future__ import annotations

import sys
from pathlib import Path

BUILD = Path(__file__).resolve().parent.parent / ".aws-sam" / "build"
EM_AARCH64 = 183  # ELF e_machine for ARM64


def main() -> int:
    layer = BUILD / "SharedLayer" / "python"
    problems = [
        f"missing {p.relative_to(BUILD)}"
        for p in (
            layer / "mailpass" / "container.py",
            layer / "fastapi" / "__init__.py",
            layer / "aws_lambda_powertools" / "__init__.py",
            BUILD / "ApiFunction" / "mailpass_api" / "handler.py",
            BUILD / "DispatcherFunction" / "mailpass_dispatcher" / "handler.py",
            BUILD / "FeedbackFunction" / "mailpass_feedback" / "handler.py",
            BUILD / "WebhookFunction" / "mailpass_webhooks" / "handler.py",
        )
        if not p.exists()
    ]
    for so in layer.rglob("*.so"):
        machine = int.from_bytes(so.read_bytes()[18:20], "little")
        if machine != EM_AARCH64:
            problems.append(f"{so.relative_to(BUILD)} is not an arm64 binary")
    if not list(layer.glob("pydantic_core/*.so")):
        problems.append("pydantic_core has no compiled module")
    for p in problems:
        print(f"build check: {p}", file=sys.stderr)
    if not problems:
        print("build check: layer and function packaged for python3.13 on arm64")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
