"""A text part for every HTML mail: generated from the HTML as given (real link targets, not
tracking redirects), none when the caller says `"text": ""`, the caller's own when given."""

from __future__ import annotations

from email import message_from_bytes
from email.policy import default

from mailpass.schemas import BatchRequest, SendRequest
from mailpass.service.batch import BatchService
from mailpass.service.limits import Limits
from mailpass.service.send import SendService
from mailpass.service.tracking import TrackingService
from mailpass.settings import Settings
from mailpass.textpart import html_to_text

from tests.fakes import InMemorySecrets
from tests.unit.conftest import World
from tests.unit.test_delivery_table import make_env
from tests.unit.test_queue_payload import dispatcher, queues
from tests.unit.test_services import auth

HTML = (
    "<html><head><style>p { color: red }</style><title>Receipt</title></head><body>"
    "<h1>Thanks &amp; welcome</h1><p>See <a href='https://shop.example.com/o/1?a=1&amp;b=2'>"
    "your order</a>.</p><ul><li>one</li><li>two</li></ul><script>alert(1)</script></body></html>"
)


def parts(raw: bytes) -> dict[str, str]:
    msg = message_from_bytes(raw, policy=default)
    return {p.get_content_type(): p.get_content() for p in msg.walk() if not p.is_multipart()}


def test_html_becomes_readable_text_with_link_targets_and_no_tags() -> None:
    text = html_to_text(HTML)
    assert text is not None
    assert "Thanks & welcome" in text
    assert "[your order](https://shop.example.com/o/1?a=1&b=2)" in text
    assert "* one" in text
    assert "<" not in text
    assert "color: red" not in text
    assert "alert(1)" not in text


def test_nothing_to_say_gives_no_text_part() -> None:
    assert html_to_text("   ") is None
    assert html_to_text("<!-- only a comment -->") is None


def send(world: World, settings: Settings, **body: object) -> bytes:
    _, key = world.account_with_key()
    secrets = InMemorySecrets({"tracking": "k" * 32})
    tracking_settings = settings.model_copy(update={"tracking_key_secret": "tracking"})
    tracking = TrackingService(world.store, secrets, tracking_settings)
    service = SendService(world.store, world.senders, settings, Limits(world.store), tracking)
    request = SendRequest.model_validate({"to": "user@example.com", "subject": "Hi", **body})
    service.send(auth(world, key), request, "https://api.example.com")
    return world.senders.sender.delivered[-1].raw


def test_an_html_only_send_gets_a_text_part_from_the_untracked_html(
    world: World, settings: Settings
) -> None:
    got = parts(send(world, settings, html=HTML))
    assert set(got) == {"text/plain", "text/html"}
    # The HTML's link goes through the click tracker; the text names the real target.
    assert "https://shop.example.com/o/1" not in got["text/html"]
    assert "(https://shop.example.com/o/1?a=1&b=2)" in got["text/plain"]
    assert "/track/" not in got["text/plain"]


def test_an_empty_text_sends_html_only(world: World, settings: Settings) -> None:
    raw = send(world, settings, html=HTML, text="")
    assert set(parts(raw)) == {"text/html"}
    assert message_from_bytes(raw, policy=default).get_content_type() == "text/html"


def test_a_given_text_is_sent_as_is(world: World, settings: Settings) -> None:
    got = parts(send(world, settings, html=HTML, text="My own words"))
    assert got["text/plain"].strip() == "My own words"


def test_batch_messages_get_it_through_the_same_compose_step(settings: Settings) -> None:
    env = make_env(settings, test=False)
    queue, dlq = queues(env)
    BatchService(env.store, queue, settings).enqueue(
        env.principal,
        BatchRequest(
            messages=[
                {"to": "a@example.com", "subject": "A", "html": HTML},
                {"to": "b@example.com", "subject": "B", "html": HTML, "text": ""},
            ]
        ),
    )
    assert dispatcher(env, queue, dlq).drain(lambda: 60_000).sent == 2
    first, second = (parts(m.raw) for m in env.world.senders.sender.delivered)
    assert "(https://shop.example.com/o/1?a=1&b=2)" in first["text/plain"]
    assert set(second) == {"text/html"}
