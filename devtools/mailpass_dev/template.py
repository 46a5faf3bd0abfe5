"""Reads template.yaml, the one source of truth, and builds its resources on local endpoints."""

from __future__ import annotations

import contextlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"


class _CfnLoader(yaml.SafeLoader):
    """YAML with CloudFormation's short tags (!Ref, !Sub, !GetAtt ...) as their long forms."""


def _tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    name = "Ref" if suffix == "Ref" else f"Fn::{suffix}"
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
        if suffix == "GetAtt":
            value = value.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    return {name: value}


_CfnLoader.add_multi_constructor("!", _tag)


def load(path: Path = TEMPLATE) -> dict[str, Any]:
    with path.open() as fh:
        data: dict[str, Any] = yaml.load(fh, Loader=_CfnLoader)  # noqa: S506  # SafeLoader subclass
    return data


@dataclass
class LocalNames:
    """Resolves Ref/Sub/GetAtt the way a deployed stack would, with local physical names."""

    template: dict[str, Any]
    stack_name: str = "mailpass-local"
    region: str = "us-east-1"
    account_id: str = "123456789012"
    overrides: dict[str, str] | None = None
    # Filled in as resources are created: what Ref and GetAtt return for them locally.
    refs: dict[str, str] = field(default_factory=dict)
    attributes: dict[tuple[str, str], str] = field(default_factory=dict)

    def parameter(self, name: str) -> str:
        if self.overrides and name in self.overrides:
            return self.overrides[name]
        return str(self.template.get("Parameters", {})[name].get("Default", ""))

    def physical(self, logical_id: str) -> str:
        return f"{self.stack_name}-{logical_id}"

    def ref(self, name: str) -> str:
        pseudo = {
            "AWS::StackName": self.stack_name,
            "AWS::Region": self.region,
            "AWS::AccountId": self.account_id,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
        }
        if name in pseudo:
            return pseudo[name]
        if name in self.template.get("Parameters", {}):
            return self.parameter(name)
        return self.refs.get(name) or self.physical(name)

    def resolve(self, value: Any) -> Any:
        if isinstance(value, dict) and len(value) == 1:
            ((key, arg),) = value.items()
            if key == "Ref":
                return self.ref(arg)
            if key == "Fn::Sub":
                text, extra = (arg, {}) if isinstance(arg, str) else (arg[0], arg[1])
                return re.sub(
                    r"\$\{([^}]+)\}",
                    lambda m: str(self.resolve(extra[m[1]])) if m[1] in extra else self.ref(m[1]),
                    text,
                )
            if key == "Fn::If":
                name, when_true, when_false = arg
                return self.resolve(when_true if self.condition(name) else when_false)
            if key == "Fn::GetAtt":
                known = self.attributes.get((arg[0], arg[1]))
                if known is not None:
                    return known
                return f"arn:aws:local:{self.region}:{self.account_id}:{self.physical(arg[0])}"
        if isinstance(value, dict):
            return {k: self.resolve(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        return value

    def condition(self, name: str) -> bool:
        spec = self.template.get("Conditions", {})[name]
        ((op, args),) = spec.items()
        if op != "Fn::Equals":
            raise NotImplementedError(f"condition {op}")
        left, right = (self.resolve(a) for a in args)
        return bool(left == right)

    def resources(self, kind: str) -> dict[str, dict[str, Any]]:
        return {
            name: res.get("Properties", {})
            for name, res in self.template.get("Resources", {}).items()
            if res.get("Type") == kind
        }

    def function_environment(self, logical_id: str) -> dict[str, str]:
        """A function's environment as deployed: Globals merged with its own variables."""
        glob = self.template.get("Globals", {}).get("Function", {})
        env = dict(glob.get("Environment", {}).get("Variables", {}))
        own = self.template["Resources"][logical_id].get("Properties", {})
        env.update(own.get("Environment", {}).get("Variables", {}))
        return {k: str(self.resolve(v)) for k, v in env.items()}


_TABLE_KEYS = (
    "AttributeDefinitions",
    "KeySchema",
    "GlobalSecondaryIndexes",
    "LocalSecondaryIndexes",
    "BillingMode",
    "StreamSpecification",
)


class StaleTable(RuntimeError):
    """A kept table (make dev keeps its data) that template.yaml has changed in a way an
    update cannot follow: start clean."""


def create_tables(names: LocalNames, client: DynamoDBClient) -> list[str]:
    """Every table of the template, made idempotent for `make dev`'s kept data: a missing table
    is created, an existing one gets the GSIs the template has added since (DynamoDB creates
    one per UpdateTable), and TTL is turned on where it is not yet."""
    made = []
    existing = set(client.list_tables().get("TableNames", []))
    for logical_id, declared in names.resources("AWS::DynamoDB::Table").items():
        props = names.resolve(declared)
        table = props.get("TableName") or names.physical(logical_id)
        if table not in existing:
            args: dict[str, Any] = {k: props[k] for k in _TABLE_KEYS if k in props}
            args.setdefault("BillingMode", "PAY_PER_REQUEST")
            client.create_table(TableName=table, **args)
            client.get_waiter("table_exists").wait(TableName=table)
        else:
            _add_missing_indexes(client, table, props)
        ttl = props.get("TimeToLiveSpecification")
        if ttl and ttl.get("Enabled"):
            status = client.describe_time_to_live(TableName=table)["TimeToLiveDescription"]
            if status.get("TimeToLiveStatus") not in ("ENABLED", "ENABLING"):
                client.update_time_to_live(
                    TableName=table,
                    TimeToLiveSpecification={
                        "AttributeName": ttl["AttributeName"],
                        "Enabled": True,
                    },
                )
        made.append(table)
    return made


def _add_missing_indexes(client: DynamoDBClient, table: str, props: dict[str, Any]) -> None:
    described = client.describe_table(TableName=table)["Table"]
    have = {i["IndexName"]: i for i in described.get("GlobalSecondaryIndexes", [])}
    defined = {a["AttributeName"]: a for a in props.get("AttributeDefinitions", [])}
    for index in props.get("GlobalSecondaryIndexes", []):
        name = index["IndexName"]
        if name in have:
            if have[name]["KeySchema"] != index["KeySchema"]:
                raise StaleTable(
                    f"{table}'s index {name} has another key than template.yaml declares; "
                    "start clean: make dev-clean (or make dev FRESH=1)"
                )
            continue
        keys = {k["AttributeName"] for k in index["KeySchema"]}
        client.update_table(
            TableName=table,
            AttributeDefinitions=[defined[k] for k in sorted(keys)],
            GlobalSecondaryIndexUpdates=[
                {
                    "Create": {
                        k: index[k] for k in ("IndexName", "KeySchema", "Projection") if k in index
                    }  # type: ignore[typeddict-item]
                }
            ],
        )
        _wait_active(client, table, name)
    if props.get("LocalSecondaryIndexes") and not described.get("LocalSecondaryIndexes"):
        raise StaleTable(  # an LSI can only be made with its table
            f"{table} lacks template.yaml's local secondary indexes; start clean: make dev-clean"
        )


def _wait_active(client: DynamoDBClient, table: str, index: str, timeout: float = 120) -> None:
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = client.describe_table(TableName=table)["Table"].get("GlobalSecondaryIndexes", [])
        if any(i["IndexName"] == index and i["IndexStatus"] == "ACTIVE" for i in found):
            return
        time.sleep(0.2)
    raise RuntimeError(f"index {index} of {table} did not become active within {timeout:.0f}s")


_QUEUE_ATTRIBUTES = (
    "DelaySeconds",
    "MaximumMessageSize",
    "MessageRetentionPeriod",
    "ReceiveMessageWaitTimeSeconds",
    "VisibilityTimeout",
)


def create_queues(names: LocalNames, client: Any) -> dict[str, str]:
    """Every AWS::SQS::Queue, then the redrive policies once every ARN is known."""
    queues = names.resources("AWS::SQS::Queue")
    for logical_id, props in queues.items():
        attrs = {k: str(names.resolve(props[k])) for k in _QUEUE_ATTRIBUTES if k in props}
        name = str(names.resolve(props.get("QueueName") or names.physical(logical_id)))
        url = client.create_queue(QueueName=name, Attributes=attrs)["QueueUrl"]
        arn = client.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        names.refs[logical_id] = url
        names.attributes[(logical_id, "Arn")] = arn
        names.attributes[(logical_id, "QueueName")] = name
    for logical_id, props in queues.items():
        if "RedrivePolicy" in props:
            policy = names.resolve(props["RedrivePolicy"])
            client.set_queue_attributes(
                QueueUrl=names.refs[logical_id],
                Attributes={
                    "RedrivePolicy": json.dumps(
                        {
                            "deadLetterTargetArn": policy["deadLetterTargetArn"],
                            "maxReceiveCount": str(policy["maxReceiveCount"]),
                        }
                    )
                },
            )
    return dict(names.refs)


def create_buckets(names: LocalNames, client: Any) -> dict[str, str]:
    """Every AWS::S3::Bucket, with its encryption, public access block and lifecycle rules."""
    made = {}
    for logical_id, declared in names.resources("AWS::S3::Bucket").items():
        props = names.resolve(declared)
        name = str(props.get("BucketName") or names.physical(logical_id)).lower()  # S3's rule
        with contextlib.suppress(
            client.exceptions.BucketAlreadyOwnedByYou, client.exceptions.BucketAlreadyExists
        ):
            client.create_bucket(Bucket=name)
        if "BucketEncryption" in props:
            rules = [
                {
                    "ApplyServerSideEncryptionByDefault": r["ServerSideEncryptionByDefault"],
                    "BucketKeyEnabled": bool(r.get("BucketKeyEnabled", False)),
                }
                for r in props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
            ]
            client.put_bucket_encryption(
                Bucket=name, ServerSideEncryptionConfiguration={"Rules": rules}
            )
        if "PublicAccessBlockConfiguration" in props:
            client.put_public_access_block(
                Bucket=name, PublicAccessBlockConfiguration=props["PublicAccessBlockConfiguration"]
            )
        if "LifecycleConfiguration" in props:
            rules = [_lifecycle_rule(r) for r in props["LifecycleConfiguration"]["Rules"]]
            client.put_bucket_lifecycle_configuration(
                Bucket=name, LifecycleConfiguration={"Rules": rules}
            )
        names.refs[logical_id] = name
        names.attributes[(logical_id, "Arn")] = f"arn:aws:s3:::{name}"
        made[logical_id] = name
    return made


def _lifecycle_rule(rule: dict[str, Any]) -> dict[str, Any]:
    """A CloudFormation lifecycle rule in the S3 API's shape."""
    prefix = {"Prefix": rule["Prefix"]} if "Prefix" in rule else {}
    out: dict[str, Any] = {"ID": rule.get("Id", ""), "Status": rule["Status"], "Filter": prefix}
    if "ExpirationInDays" in rule:
        out["Expiration"] = {"Days": int(rule["ExpirationInDays"])}
    abort = rule.get("AbortIncompleteMultipartUpload")
    if abort:
        out["AbortIncompleteMultipartUpload"] = {
            "DaysAfterInitiation": int(abort["DaysAfterInitiation"])
        }
    return out


def create_secrets(names: LocalNames, client: Any) -> dict[str, str]:
    """Every AWS::SecretsManager::Secret, with a random value where the template generates one."""
    import secrets as random

    made = {}
    for logical_id, props in names.resources("AWS::SecretsManager::Secret").items():
        name = str(names.resolve(props.get("Name") or names.physical(logical_id)))
        value = props.get("SecretString")
        if value is None:
            length = int(props.get("GenerateSecretString", {}).get("PasswordLength", 32))
            value = random.token_urlsafe(length)[:length]
        # A stack restarted on the same moto keeps its key.
        with contextlib.suppress(client.exceptions.ResourceExistsException):
            client.create_secret(Name=name, SecretString=str(names.resolve(value)))
        names.refs[logical_id] = name  # Ref is the ARN in AWS; the name works the same here
        made[logical_id] = name
    return made
