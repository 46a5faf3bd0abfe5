"""mailpass-admin against the local stack, end to end: account, key, provider, then a send."""

from __future__ import annotations

import json
from typing import Any

import pytest
from mailpass_admin.cli import main
from mailpass_dev.servers import SmtpSink
from mailpass_dev.stack import LocalStack

from tests.integration.conftest import LambdaContext, load_event
from tests.integration.test_send_lambda import invoke

pytestmark = pytest.mark.integration


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> Any:
    assert main(list(argv)) == 0
    return json.loads(capsys.readouterr().out)


def test_operator_sets_up_an_account_that_can_send(
    env: LocalStack,
    sink: SmtpSink,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    lambda_context: LambdaContext,
) -> None:
    account = run(capsys, "account", "create", "--name", "Acme")
    acct = account["account_id"]
    key = run(capsys, "key", "create", "--account", acct, "--permissions", "mail")
    api_key = key["api_key"]
    assert api_key.startswith("mp_live_")

    monkeypatch.setenv("RELAY_PASSWORD", "not-needed-but-stored")
    provider = run(
        capsys,
        "provider",
        "add-smtp",
        "--account",
        acct,
        "--host",
        "127.0.0.1",
        "--port",
        str(sink.port),
        "--security",
        "none",
        "--username",
        "u",
        "--password-env",
        "RELAY_PASSWORD",
        "--from-email",
        "ops@acme.example.com",
    )
    assert provider["password"] == "********"
    pid = provider["provider_id"]

    # No default yet: the API says so.
    code, err = invoke(load_event("send.json", key=api_key), lambda_context)
    assert code == 422
    assert err["error"]["code"] == "NO_SMTP_PROVIDER"

    run(capsys, "provider", "set-default", "--account", acct, "--provider", pid)
    listed = run(capsys, "provider", "list", "--account", acct)
    assert [p["default"] for p in listed] == [True]
    assert "not-needed-but-stored" not in json.dumps(listed)

    # aiosmtpd here advertises no AUTH, so the sink refuses the login: a clear SEND_FAILED...
    code, err = invoke(load_event("send.json", key=api_key), lambda_context)
    assert code == 500
    # ...and a provider without credentials sends.
    plain = run(
        capsys,
        "provider",
        "add-smtp",
        "--account",
        acct,
        "--host",
        "127.0.0.1",
        "--port",
        str(sink.port),
        "--security",
        "none",
        "--from-email",
        "ops@acme.example.com",
        "--default",
    )
    assert plain["password"] is None
    code, body = invoke(load_event("send.json", key=api_key), lambda_context)
    assert code == 200
    assert len(sink.find(body["data"]["message_id"])) == 1


def test_errors_are_reported_not_raised(
    env: LocalStack, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["provider", "set-default", "--account", "acct_nope", "--provider", "p"]) == 2
    assert "NOT_FOUND" in capsys.readouterr().err
