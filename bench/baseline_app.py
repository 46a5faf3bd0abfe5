"""The cold-start baseline: a bare FastAPI + Mangum + boto3 handler doing what /status does at
the floor (GetItem on the key hash, Query on the message partition), with nothing else."""

from __future__ import annotations

import os
from typing import Any

import boto3
from fastapi import FastAPI, Request
from mangum import Mangum

app = FastAPI()
_client: Any = None


@app.get("/api/v1/mail/status/{message_id:path}")
def status(message_id: str, request: Request) -> dict[str, Any]:
    global _client  # created once, like any Lambda client
    if _client is None:
        _client = boto3.client("dynamodb")
    table = os.environ["MAILPASS_TABLE_NAME"]
    key = _client.get_item(
        TableName=table,
        Key={"pk": {"S": f"APIKEY#{os.environ['BENCH_KEY_HASH']}"}, "sk": {"S": "APIKEY"}},
        ConsistentRead=True,
    )["Item"]
    account = key["account_id"]["S"]
    items = _client.query(
        TableName=table,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": f"MSG#{account}#{message_id}"}},
        ConsistentRead=True,
    )["Items"]
    return {"success": True, "data": {"message": {k: v for k, v in items[0].items()}}}


handler = Mangum(app, lifespan="off")
