"""template.yaml is the one source of truth: check the promises operators and tests rely on."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest
from mailpass_dev.template import ROOT, LocalNames, load


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return load()


def resources(template: dict[str, Any], kind: str) -> dict[str, Any]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == kind}


def test_functions_run_python313_on_arm64_with_the_shared_layer(template: dict[str, Any]) -> None:
    glob = template["Globals"]["Function"]
    assert glob["Runtime"] == "python3.13"
    assert glob["Architectures"] == ["arm64"]
    assert glob["Layers"] == [{"Ref": "SharedLayer"}]
    layer = template["Resources"]["SharedLayer"]
    assert layer["Metadata"]["BuildMethod"] == "python3.13"
    assert layer["Properties"]["ContentUri"] == "layers/mailpass/"


def test_every_function_logs_to_a_group_with_retention(template: dict[str, Any]) -> None:
    for name, fn in resources(template, "AWS::Serverless::Function").items():
        group = fn["Properties"]["LoggingConfig"]["LogGroup"]["Ref"]
        props = template["Resources"][group]["Properties"]
        assert props["RetentionInDays"] == {"Ref": "LogRetentionDays"}, name


def test_tables_are_on_demand_with_ttl_and_the_main_one_has_pitr(
    template: dict[str, Any],
) -> None:
    tables = resources(template, "AWS::DynamoDB::Table")
    assert set(tables) == {"MailTable", "IdempotencyTable"}
    props = tables["MailTable"]["Properties"]
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert props["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    # Powertools Idempotency's default layout: key `id`, TTL on `expiration`.
    idem = tables["IdempotencyTable"]["Properties"]
    assert idem["BillingMode"] == "PAY_PER_REQUEST"
    assert idem["KeySchema"] == [{"AttributeName": "id", "KeyType": "HASH"}]
    assert idem["TimeToLiveSpecification"] == {"AttributeName": "expiration", "Enabled": True}


def test_the_message_log_indexes_are_declared_with_their_keys(template: dict[str, Any]) -> None:
    """What adapters/dynamodb/log_keys.py writes and message_log.py queries; the local stack
    and the tests create them from here."""
    props = template["Resources"]["MailTable"]["Properties"]
    indexes = {
        g["IndexName"]: (
            [k["AttributeName"] for k in g["KeySchema"]],
            g["Projection"]["ProjectionType"],
        )
        for g in props["GlobalSecondaryIndexes"]
    }
    assert indexes == {
        "log": (["log_pk", "log_sk"], "KEYS_ONLY"),
        "log_status": (["st_pk", "log_sk"], "KEYS_ONLY"),
        "log_to": (["to_pk", "log_sk"], "KEYS_ONLY"),
        "log_tag": (["tag_pk", "log_sk"], "KEYS_ONLY"),
    }
    declared = {a["AttributeName"]: a["AttributeType"] for a in props["AttributeDefinitions"]}
    assert declared == dict.fromkeys(
        ["pk", "sk", "log_pk", "log_sk", "st_pk", "to_pk", "tag_pk"], "S"
    )


def test_outputs_name_what_tests_and_operators_need(template: dict[str, Any]) -> None:
    assert {
        "ApiUrl",
        "SendUrl",
        "StatusUrl",
        "MailTableName",
        "ApiFunctionName",
        "ApiLogGroup",
        "SecretsPrefix",
        "SharedLayerArn",
    } <= set(template["Outputs"])


def test_api_routes_everything_to_fastapi(template: dict[str, Any]) -> None:
    events = template["Resources"]["ApiFunction"]["Properties"]["Events"]
    (api,) = events.values()
    assert api["Type"] == "HttpApi"
    assert api["Properties"]["Path"] == "/{proxy+}"
    assert api["Properties"]["Method"] == "ANY"


def test_local_names_resolve_the_function_environment(template: dict[str, Any]) -> None:
    env = LocalNames(template, stack_name="s").function_environment("ApiFunction")
    assert env["MAILPASS_TABLE_NAME"] == "s-MailTable"
    assert env["MAILPASS_SECRETS_PREFIX"] == "mailpass/dev/"
    assert env["MAILPASS_MESSAGE_ID_DOMAIN"] == "mailpass.im"
    assert env["POWERTOOLS_SERVICE_NAME"] == "mailpass"


def test_layer_requirements_are_rendered_from_pyproject() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "pin_requirements.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    pins = (ROOT / "layers" / "mailpass" / "requirements.txt").read_text().splitlines()
    pinned = [line for line in pins if line and not line.startswith("#")]
    assert all("==" in line for line in pinned)
    assert "fastapi==0.165.0" in pinned
    assert "boto3==1.44.8" in pinned
    # The tooling never leaks into the runtime set.
    assert not [p for p in pinned if p.split("==")[0] in {"moto", "aws-sam-cli", "cfn-lint"}]


def test_tracing_parameter_drives_the_powertools_switch(template: dict[str, Any]) -> None:
    on = LocalNames(template).function_environment("ApiFunction")
    off = LocalNames(template, overrides={"Tracing": "PassThrough"}).function_environment(
        "ApiFunction"
    )
    assert on["POWERTOOLS_TRACE_DISABLED"] == "false"
    assert off["POWERTOOLS_TRACE_DISABLED"] == "true"
    assert template["Globals"]["Function"]["Tracing"] == {"Ref": "Tracing"}


ASYNC_EVENTS = {"SNS", "Schedule", "ScheduleV2", "EventBridgeRule", "S3"}


def test_async_functions_keep_their_failures_and_every_function_is_bounded(
    template: dict[str, Any],
) -> None:
    for name, fn in resources(template, "AWS::Serverless::Function").items():
        props = fn["Properties"]
        kinds = {e["Type"] for e in props.get("Events", {}).values()}
        if kinds & ASYNC_EVENTS:
            dlq = props["DeadLetterQueue"]
            assert dlq["Type"] == "SQS", name
            assert dlq["TargetArn"]["Fn::GetAtt"][0] in template["Resources"], name
        sqs = [e for e in props.get("Events", {}).values() if e["Type"] == "SQS"]
        bounded = "ReservedConcurrentExecutions" in props or all(
            e["Properties"]["ScalingConfig"]["MaximumConcurrency"] for e in sqs
        )
        assert bounded or kinds == {"HttpApi"}, name  # the API is bounded by its throttling
    api = template["Resources"]["HttpApi"]["Properties"]["DefaultRouteSettings"]
    assert api["ThrottlingBurstLimit"]
    assert api["ThrottlingRateLimit"]


def test_every_checkov_skip_says_why(template: dict[str, Any]) -> None:
    skips = [
        (name, skip)
        for name, res in template["Resources"].items()
        for skip in res.get("Metadata", {}).get("checkov", {}).get("skip", [])
    ]
    assert skips
    for name, skip in skips:
        assert skip["id"].startswith("CKV_"), name
        assert len(skip.get("comment", "")) > 40, (name, skip["id"])
