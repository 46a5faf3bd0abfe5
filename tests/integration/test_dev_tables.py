"""`make dev` keeps its tables, so making them from template.yaml must be idempotent: a kept
table gains the indexes the template has added since, and one it cannot follow is refused
with a way out."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from mailpass.ids import new_id
from mailpass_dev.stack import LocalStack
from mailpass_dev.template import LocalNames, StaleTable, create_tables

pytestmark = pytest.mark.integration

INDEX: dict[str, Any] = {
    "IndexName": "by_status",
    "KeySchema": [
        {"AttributeName": "gsi1pk", "KeyType": "HASH"},
        {"AttributeName": "gsi1sk", "KeyType": "RANGE"},
    ],
    "Projection": {"ProjectionType": "ALL"},
}


def template(name: str, *indexes: dict[str, Any]) -> dict[str, Any]:
    attributes = [{"AttributeName": "pk", "AttributeType": "S"}]
    if indexes:
        attributes += [
            {"AttributeName": "gsi1pk", "AttributeType": "S"},
            {"AttributeName": "gsi1sk", "AttributeType": "S"},
        ]
    props: dict[str, Any] = {
        "TableName": name,
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": attributes,
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        "TimeToLiveSpecification": {"AttributeName": "expires_at", "Enabled": True},
    }
    if indexes:
        props["GlobalSecondaryIndexes"] = list(indexes)
    return {"Resources": {"Table": {"Type": "AWS::DynamoDB::Table", "Properties": props}}}


def test_a_kept_table_gains_new_indexes_and_a_second_start_changes_nothing(
    stack: LocalStack,
) -> None:
    db = stack.client("dynamodb")
    name = new_id("devtable")
    props = template(name)["Resources"]["Table"]["Properties"]
    db.create_table(**{k: v for k, v in props.items() if k != "TimeToLiveSpecification"})
    db.put_item(TableName=name, Item={"pk": {"S": "kept"}})

    for _ in range(2):  # the second start finds everything there
        assert create_tables(LocalNames(template(name, INDEX)), db) == [name]
        table = db.describe_table(TableName=name)["Table"]
        assert [i["IndexName"] for i in table["GlobalSecondaryIndexes"]] == ["by_status"]
        assert db.get_item(TableName=name, Key={"pk": {"S": "kept"}}).get("Item")
        ttl = db.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
        assert ttl["TimeToLiveStatus"] in ("ENABLED", "ENABLING")

    changed = copy.deepcopy(INDEX)
    changed["KeySchema"] = changed["KeySchema"][:1]
    with pytest.raises(StaleTable, match="make dev-clean"):
        create_tables(LocalNames(template(name, changed)), db)
