"""The text/plain alternative of an HTML-only message, generated with inscriptis.

Mail without a text part scores worse with spam filters, and some clients show only text.
inscriptis (Apache-2.0, maintained) lays HTML out as a browser would in text mode: block
elements on their own lines, list bullets, table columns; with `display_links` each link keeps
its target as `[label](url)`. html2text does the same but is GPL-3.0, which a layer shipped to
customers cannot carry.

Imported on the first HTML-only message, never with the module: inscriptis pulls in lxml
(about 50 ms) that a /status, a settings call or a text-only send never needs."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from mailpass.observability import logger

if TYPE_CHECKING:
    from inscriptis.model.config import ParserConfig


@cache
def _config() -> ParserConfig:
    from inscriptis.model.config import ParserConfig

    # Images are left out: an alt text in brackets reads as noise in a text mail.
    return ParserConfig(display_links=True, display_images=False)


def html_to_text(html: str) -> str | None:
    """Readable text of `html`: no tags, entities decoded, link targets kept. None when there
    is no text to give (or the HTML cannot be read): the message goes as HTML only."""
    if not html.strip():
        return None
    from inscriptis import get_text

    try:
        text = get_text(html, _config())
    except Exception:  # the text part is an extra: never fail a mail over it
        logger.warning("no text part: the HTML could not be laid out", exc_info=True)
        return None
    lines = [line.rstrip() for line in text.strip("\n").split("\n")]
    return "\n".join(lines) + "\n" if any(lines) else None
