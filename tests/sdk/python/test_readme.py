"""The SDK's README and examples run against the local stack, so they cannot rot: every `python`
block of sdks/python/README.md in turn, and examples/quickstart.py as a user would run it."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
from mailpass_dev.seed import Seeded
from mailpass_dev.servers import SmtpSink

from tests.sdk.python.conftest import has_operation
from tests.sdk.python.test_surface import SDK

pytestmark = pytest.mark.integration

BLOCKS = re.findall(r"```python\n(.*?)```", (SDK / "README.md").read_text(), re.DOTALL)


def test_the_readme_has_its_examples() -> None:
    assert len(BLOCKS) >= 6


@pytest.mark.parametrize("block", BLOCKS, ids=[f"block{i}" for i in range(len(BLOCKS))])
def test_a_readme_block_runs(block: str, sdk_env: Seeded, sink: SmtpSink) -> None:
    needs = re.findall(r"^# needs: (\w+) (\S+)$", block, re.MULTILINE)
    absent = [f"{m} {p}" for m, p in needs if not has_operation(m, p)]
    if absent:
        pytest.skip(f"not in openapi.json yet: {absent}")
    before = len(sink.caught)
    exec(compile(block, "README.md", "exec"), {"__name__": "__readme__"})  # noqa: S102
    if "client.mail.send(" in block and "except" not in block:  # the errors block sends nothing
        assert len(sink.caught) > before, "a block that sends must deliver"


def test_the_quickstart_example_runs(sdk_env: Seeded, sink: SmtpSink) -> None:
    before = len(sink.caught)
    done = subprocess.run(
        [sys.executable, str(SDK / "examples" / "quickstart.py"), "quick@example.com"],
        capture_output=True,
        text=True,
        env=dict(os.environ),
        check=False,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "sent"
    assert len(sink.caught) == before + 2


def test_the_main_readme_python_snippet_sends(sdk_env: Seeded, sink: SmtpSink) -> None:
    """The product page's send in Python, as the main README's SDKs section prints it, with
    the placeholder key swapped for a real one (the base URL comes from MAILPASS_BASE_URL)."""
    readme = (SDK.parents[1] / "README.md").read_text()
    section = readme.split("## SDKs", 1)[1].split("\n## ", 1)[0]
    (block,) = re.findall(r"```python\n(.*?)```", section, re.DOTALL)
    assert '"mp_live_YOUR_KEY"' in block
    before = len(sink.caught)
    code = block.replace('"mp_live_YOUR_KEY"', repr(sdk_env.api_key))
    exec(compile(code, "README.md", "exec"), {"__name__": "__readme__"})  # noqa: S102
    (caught,) = sink.caught[before:]
    assert caught.recipients == ["user@example.com"]
