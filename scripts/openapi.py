"""Write the API's OpenAPI document to openapi.json at the repository root (`make openapi`).

The file is the published contract: SDK generators and the docs read it, and `make test` fails
when it differs from what the app serves at /api/v1/openapi.json (tests/unit/test_contract.py).

    python scripts/openapi.py          # write
    python scripts/openapi.py --check  # exit 1 if the file is stale
"""

from __future__ import annotations

import sys
from pathlib import Path

from mailpass_api.app import create_app
from mailpass_api.contract import render

TARGET = Path(__file__).resolve().parent.parent / "openapi.json"


def main(argv: list[str]) -> int:
    # The body limit does not appear in the document; give one so no settings are needed.
    text = render(create_app(max_request_bytes=1).openapi())
    if "--check" in argv:
        if not TARGET.exists() or TARGET.read_text() != text:
            print(f"{TARGET.name} is stale: run `make openapi`", file=sys.stderr)
            return 1
        return 0
    TARGET.write_text(text)
    print(f"wrote {TARGET.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
