"""Templates: `{{ variable }}` only, values escaped in html and not in subject/text, a missing
variable named, rendering at acceptance (so an edit never reaches an accepted message), and the
/templates routes over HTTP on fakes."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from email import message_from_bytes
from email.policy import default
from typing import Any

import pytest
from fastapi.testclient import TestClient
from mailpass.errors import NotFound, ValidationFailed
from mailpass.models import Template, utcnow
from mailpass.schemas import BatchRequest, SendRequest
from mailpass.service.auth import AuthService
from mailpass.service.batch import BatchService
from mailpass.service.limits import Limits
from mailpass.service.send import SendService
from mailpass.service.status import StatusService
from mailpass.service.templates import TemplateService, render, variables_of
from mailpass.settings import Settings
from mailpass.template_schemas import TemplateCreate, TemplateUpdate
from mailpass_api.app import container, create_app
from pydantic import ValidationError

from tests.fakes.templates import InMemoryTemplates
from tests.unit.conftest import World
from tests.unit.test_app import assert_error, bearer
from tests.unit.test_delivery_table import make_env
from tests.unit.test_queue_payload import dispatcher, queues
from tests.unit.test_services import auth
from tests.unit.test_text_part import parts


def template(**kw: Any) -> Template:
    values: dict[str, Any] = {
        "subject": "Order {{ order }} for {{ name }}",
        "html": "<p>Hello {{ name }}</p>",
        "text": None,
        **kw,
    }
    return Template("acct", "tpl_1", "t", created_at=utcnow(), **values)


def test_values_are_escaped_in_html_only() -> None:
    out = render(template(text="Hi {{ name }}"), {"name": "<b>Kim</b> & Co", "order": 7})
    assert out.subject == "Order 7 for <b>Kim</b> & Co"
    assert out.html == "<p>Hello &lt;b&gt;Kim&lt;/b&gt; &amp; Co</p>"
    assert out.text == "Hi <b>Kim</b> & Co"


def test_scalars_render_as_json_writes_them() -> None:
    out = render(template(subject="{{ a }} {{ b }} [{{ c }}] {{ d }}"), {
        "a": True, "b": 1.5, "c": None, "d": 0, "name": "x", "order": 1
    })  # fmt: skip
    assert out.subject == "true 1.5 [] 0"


def test_a_missing_variable_is_named() -> None:
    with pytest.raises(ValidationFailed) as caught:
        render(template(), {"name": "Kim"})
    assert "order" in caught.value.message
    assert caught.value.details == [
        {"field": "variables.order", "message": "required by the template", "type": "missing"}
    ]


def test_a_template_text_of_empty_stays_the_html_only_opt_out() -> None:
    out = render(template(text=""), {"name": "a", "order": 1})
    assert out.text == ""
    assert render(template(), {"name": "a", "order": 1}).text is None


@pytest.mark.parametrize(
    "source",
    [
        "{{ user.name }}",
        "{{ ''.__class__.__mro__ }}",
        "{{ name|upper }}",
        "{{ lipsum() }}",
        "{{ items[0] }}",
        "{% for x in y %}{{ x }}{% endfor %}",
        "{% if a %}b{% endif %}",
        "{% include 'other' %}",
        "{% set x = 1 %}",
        "{{ 1 + 2 }}",
    ],
)
def test_anything_but_a_bare_variable_is_refused(source: str) -> None:
    with pytest.raises(ValidationFailed, match=r"only \{\{ variable \}\}"):
        variables_of(source, "html")


def test_a_syntax_error_is_a_validation_error_naming_the_part() -> None:
    with pytest.raises(ValidationFailed, match=r"^subject: "):
        variables_of("Hi {{ name", "subject")


def test_variables_are_found_in_every_part() -> None:
    assert variables_of("{{ a }} and {{b}} and {{ a }} {# note #}") == {"a", "b"}


def test_a_rendered_subject_cannot_break_its_header_line() -> None:
    with pytest.raises(ValidationFailed, match="subject"):
        render(template(), {"name": "x\r\nBcc: victim@example.com", "order": 1})


def test_template_id_replaces_subject_html_and_text() -> None:
    with pytest.raises(ValidationError, match="do not give subject"):
        SendRequest.model_validate({"to": "u@example.com", "template_id": "t", "subject": "S"})
    with pytest.raises(ValidationError, match="variables are only for a template_id"):
        SendRequest.model_validate(
            {"to": "u@example.com", "subject": "S", "text": "t", "variables": {"a": 1}}
        )
    with pytest.raises(ValidationError, match="not a variable name"):
        SendRequest.model_validate(
            {"to": "u@example.com", "template_id": "t", "variables": {"a-b": 1}}
        )
    with pytest.raises(ValidationError, match="must be a string"):
        SendRequest.model_validate(
            {"to": "u@example.com", "template_id": "t", "variables": {"a": {"b": 1}}}
        )
    ok = SendRequest.model_validate({"to": "u@example.com", "template_id": "t"})
    assert ok.subject is None


@dataclass
class Setup:
    world: World
    templates: TemplateService
    account: str
    key: str
    template_id: str


@pytest.fixture
def setup(world: World) -> Setup:
    account, key = world.account_with_key()
    templates = TemplateService(InMemoryTemplates(world.store.memory))
    created = templates.create(
        account,
        TemplateCreate(
            name="order",
            subject="Order {{ order }}",
            html="<p>Hi {{ name }}, see <a href='https://shop.example.com/{{ order }}'>it</a></p>",
        ),
    )
    return Setup(world, templates, account, key, created["template_id"])


def test_send_with_a_template_renders_records_and_shows_template_id(setup: Setup) -> None:
    w = setup.world
    service = SendService(
        w.store, w.senders, w.settings, Limits(w.store), templates=setup.templates
    )
    request = SendRequest.model_validate(
        {
            "to": "user@example.com",
            "template_id": setup.template_id,
            "variables": {"name": "<Kim>", "order": "A-1"},
        }
    )
    result = service.send(auth(w, setup.key), request)
    raw = w.senders.sender.delivered[-1].raw
    msg = message_from_bytes(raw, policy=default)
    assert msg["Subject"] == "Order A-1"
    got = parts(raw)
    assert "Hi &lt;Kim&gt;" in got["text/html"]
    assert "Hi <Kim>, see [it](https://shop.example.com/A-1)" in got["text/plain"]
    view = StatusService(w.store).get(auth(w, setup.key), result.message_id)["message"]
    assert view["template_id"] == setup.template_id
    assert view["subject"] == "Order A-1"


def test_send_with_an_unknown_template_or_a_missing_variable_sends_nothing(setup: Setup) -> None:
    w = setup.world
    service = SendService(
        w.store, w.senders, w.settings, Limits(w.store), templates=setup.templates
    )
    unknown = SendRequest.model_validate({"to": "u@example.com", "template_id": "tpl_nope"})
    with pytest.raises(NotFound):
        service.send(auth(w, setup.key), unknown)
    missing = SendRequest.model_validate(
        {"to": "u@example.com", "template_id": setup.template_id, "variables": {"name": "x"}}
    )
    with pytest.raises(ValidationFailed, match="order"):
        service.send(auth(w, setup.key), missing)
    assert w.senders.sender.delivered == []
    assert w.store.messages == {}


def test_a_batch_renders_at_acceptance_and_a_bad_template_fails_alone(
    settings: Settings,
) -> None:
    env = make_env(settings, test=False)
    templates = TemplateService(InMemoryTemplates(env.store.memory))
    tid = templates.create(
        env.account, TemplateCreate(name="t", subject="For {{ name }}", text="Dear {{ name }}")
    )["template_id"]
    queue, dlq = queues(env)
    out = BatchService(env.store, queue, settings, templates=templates).enqueue(
        env.principal,
        BatchRequest(
            messages=[
                {"to": "a@example.com", "template_id": tid, "variables": {"name": "Ann"}},
                {"to": "b@example.com", "template_id": "tpl_nope", "variables": {}},
                {"to": "c@example.com", "template_id": tid},
                {"to": "d@example.com", "subject": "Plain", "text": "no template"},
            ]
        ),
    )
    assert (out["queued"], out["failed"]) == (2, 2)
    first, unknown, missing, plain = out["messages"]
    assert first["status"] == plain["status"] == "queued"
    assert unknown["error"]["code"] == "NOT_FOUND"
    assert missing["error"]["code"] == "VALIDATION_ERROR"
    assert missing["error"]["details"][0]["field"] == "variables.name"
    # Edited after acceptance: the queued message keeps what it was rendered with.
    templates.update(env.account, tid, TemplateUpdate(subject="Changed", text="Changed"))
    assert dispatcher(env, queue, dlq).drain(lambda: 60_000).sent == 2
    sent = env.world.senders.sender.delivered[0].raw
    assert message_from_bytes(sent, policy=default)["Subject"] == "For Ann"
    assert parts(sent)["text/plain"].strip() == "Dear Ann"
    record = env.store.get_message(env.account, first["message_id"])
    assert record is not None
    assert record[0].template_id == tid
    plain_record = env.store.get_message(env.account, plain["message_id"])
    assert plain_record is not None
    assert plain_record[0].template_id is None


@dataclass
class FakeContainer:
    auth: AuthService
    templates: TemplateService


@pytest.fixture
def client(world: World) -> Iterator[TestClient]:
    app = create_app(max_request_bytes=64 * 1024)
    fake = FakeContainer(
        AuthService(world.store), TemplateService(InMemoryTemplates(world.store.memory))
    )
    app.dependency_overrides[container] = lambda: fake
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def test_the_template_life_cycle(client: TestClient, world: World) -> None:
    _, key = world.account_with_key(permissions=("settings",), provider=False)
    h = bearer(key)
    body = {"name": "Welcome", "subject": "Hi {{ name }}", "html": "<p>{{ name }}</p>"}
    created = client.post("/api/v1/templates", json=body, headers=h)
    assert created.status_code == 201, created.text
    tpl = created.json()["data"]
    assert tpl["variables"] == ["name"]
    tid = tpl["template_id"]
    listed = client.get("/api/v1/templates", headers=h).json()["data"]["templates"]
    assert [t["template_id"] for t in listed] == [tid]
    assert client.get(f"/api/v1/templates/{tid}", headers=h).json()["data"] == tpl
    patched = client.patch(
        f"/api/v1/templates/{tid}", json={"text": "Hello {{ first }}"}, headers=h
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["data"]["variables"] == ["first", "name"]
    assert patched.json()["data"]["updated_at"] is not None
    deleted = client.delete(f"/api/v1/templates/{tid}", headers=h)
    assert deleted.json() == {"success": True, "data": {"deleted": tid}}
    assert_error(client.get(f"/api/v1/templates/{tid}", headers=h), 404, "NOT_FOUND")


def test_template_errors(client: TestClient, world: World) -> None:
    _, settings_key = world.account_with_key(permissions=("settings",), provider=False)
    _, mail_key = world.account_with_key(permissions=("mail",), provider=False)
    h = bearer(settings_key)
    body = {"name": "x", "subject": "s", "html": "<p>{{ user.__class__ }}</p>"}
    assert_error(client.post("/api/v1/templates", json=body, headers=h), 400, "VALIDATION_ERROR")
    no_body = {"name": "x", "subject": "s"}
    assert_error(client.post("/api/v1/templates", json=no_body, headers=h), 400, "VALIDATION_ERROR")
    ok = {"name": "x", "subject": "s", "text": "t"}
    assert_error(
        client.post("/api/v1/templates", json=ok, headers=bearer(mail_key)), 403, "FORBIDDEN"
    )
    tid = client.post("/api/v1/templates", json=ok, headers=h).json()["data"]["template_id"]
    cleared = client.patch(f"/api/v1/templates/{tid}", json={"text": None}, headers=h)
    assert_error(cleared, 400, "VALIDATION_ERROR")
    null_name = client.patch(f"/api/v1/templates/{tid}", json={"name": None}, headers=h)
    assert_error(null_name, 400, "VALIDATION_ERROR")
    other = client.get(f"/api/v1/templates/{tid}", headers=bearer(mail_key))
    assert_error(other, 403, "FORBIDDEN")
    assert_error(client.delete("/api/v1/templates/tpl_nope", headers=h), 404, "NOT_FOUND")
