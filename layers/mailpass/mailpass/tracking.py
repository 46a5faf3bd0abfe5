"""Open and click tracking: signed tokens, HTML instrumentation, and telling machines from people.

A token carries what it stands for (kind, account, message and, for a click, the very URL that was
in the message) and an HMAC-SHA256 over it with a key kept in Secrets Manager. The tracking
endpoints trust nothing else: a forged or altered token records nothing, and a click can only
redirect to the URL its own signature covers, so there is no open redirect."""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import quote, urlsplit, urlunsplit

OPEN = "o"
CLICK = "c"
_SIG_BYTES = 16  # 128 bits of HMAC: unforgeable, and keeps links short

# The 43-byte transparent GIF every tracker serves.
PIXEL_GIF = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True, slots=True)
class Tracked:
    kind: str  # OPEN | CLICK
    account_id: str
    message_id: str
    url: str | None = None


class TrackingTokens:
    def __init__(self, key: bytes) -> None:
        if len(key) < 16:
            raise ValueError("the tracking key is too short")
        self._key = key

    def _sig(self, payload: bytes) -> bytes:
        return hmac.new(self._key, payload, hashlib.sha256).digest()[:_SIG_BYTES]

    def sign(self, t: Tracked) -> str:
        fields = [t.kind, t.account_id, t.message_id] + ([t.url] if t.url is not None else [])
        payload = "\x1f".join(fields).encode("utf-8")
        return f"{_b64(payload)}.{_b64(self._sig(payload))}"

    def verify(self, token: str) -> Tracked | None:
        try:
            body, sig = token.split(".", 1)
            payload = _unb64(body)
            if not hmac.compare_digest(_unb64(sig), self._sig(payload)):
                return None
            fields = payload.decode("utf-8").split("\x1f")
        except (ValueError, UnicodeDecodeError):
            return None
        if len(fields) == 3 and fields[0] == OPEN:
            return Tracked(OPEN, fields[1], fields[2])
        if len(fields) == 4 and fields[0] == CLICK and _trackable(fields[3]):
            return Tracked(CLICK, fields[1], fields[2], fields[3])
        return None


def _trackable(url: str) -> bool:
    return url.lower().startswith(("http://", "https://"))


# Left as they are: RFC 3986's reserved characters (quote keeps letters, digits and "-._~"),
# and "%" so that what is already escaped stays escaped, exactly once.
_URL_SAFE = ":/?#[]@!$&'()*+,;=~%"
_LONE_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
_TAB_OR_NEWLINE = re.compile(r"[\t\n\r]")
_C0_OR_SPACE = "".join(map(chr, range(0x21)))


def safe_url(url: str) -> str:
    """The URL in plain ASCII, percent-encoded, fit for a Location header whatever it held.

    First what a browser's URL parser (WHATWG) does with an href: leading and trailing controls
    and spaces go, tabs and newlines anywhere go. Then an international host name becomes its
    IDNA form, and every other byte outside RFC 3986 is escaped as UTF-8 (`€` is %E2%82%AC; a
    control left in the middle is %XX, never raw). Applying it twice changes nothing, so links
    signed before this existed are made safe at redirect time the same way."""
    url = _TAB_OR_NEWLINE.sub("", url.strip(_C0_OR_SPACE))
    if not url.isascii():
        url = _ascii_host(url)
    # surrogatepass: a lone surrogate (JSON "\ud800") is escaped too, rather than raising.
    escaped = quote(url, safe=_URL_SAFE, errors="surrogatepass")
    return _LONE_PERCENT.sub("%25", escaped)


def _ascii_host(url: str) -> str:
    """The URL with a non-ASCII host in IDNA (punycode) form; as it was if that cannot be
    done, and then the host is simply percent-encoded like the rest."""
    try:
        parts = urlsplit(url)
        userinfo, at, hostport = parts.netloc.rpartition("@")
        host, colon, port = hostport.partition(":")
        if host.isascii():
            return url
        import idna  # email-validator's own dependency; only loaded for such a link

        ascii_host = idna.encode(host, uts46=True).decode("ascii")
        return urlunsplit(parts._replace(netloc=f"{userinfo}{at}{ascii_host}{colon}{port}"))
    except (ValueError, UnicodeError):  # idna.IDNAError is a UnicodeError
        return url


# href="..." or href='...' on <a> tags; only absolute http(s) links are rewritten (mailto:,
# anchors and relative links are left as they are).
_LINK = re.compile(
    r"""(<a\b[^>]*?\bhref\s*=\s*)(["'])(https?://[^"']+)\2""", re.IGNORECASE | re.DOTALL
)
_BODY_END = re.compile(r"</body\s*>", re.IGNORECASE)


def instrument(
    body: str,
    *,
    tokens: TrackingTokens,
    base_url: str,
    account_id: str,
    message_id: str,
    opens: bool,
    clicks: bool,
) -> str:
    """The HTML with its links going through the click endpoint and a pixel before </body>."""
    base = base_url.rstrip("/")
    if clicks:

        def rewrite(m: re.Match[str]) -> str:
            url = safe_url(html.unescape(m.group(3)))
            token = tokens.sign(Tracked(CLICK, account_id, message_id, url))
            return f"{m.group(1)}{m.group(2)}{base}/api/v1/track/click/{token}{m.group(2)}"

        body = _LINK.sub(rewrite, body)
    if opens:
        token = tokens.sign(Tracked(OPEN, account_id, message_id))
        pixel = (
            f'<img src="{base}/api/v1/track/open/{token}" width="1" height="1" alt="" '
            'style="display:block;border:0;width:1px;height:1px" />'
        )
        ends = list(_BODY_END.finditer(body))
        if ends:
            at = ends[-1].start()
            body = body[:at] + pixel + body[at:]
        else:
            body += pixel
    return body


# Fetchers that open mail for a machine's reasons: privacy proxies that load every image on
# delivery (Apple Mail Privacy Protection), and security gateways that scan links and images.
_MACHINE_AGENTS = re.compile(
    r"bot\b|crawler|spider|scanner|preview|python-|curl/|wget/|go-http-client|java/|okhttp|"
    r"barracuda|mimecast|proofpoint|messagelabs|symantec|trendmicro|forcepoint|cisco|"
    r"microsoft office existence|ms-office|safelinks|linkscanner|yahoo.*slurp",
    re.IGNORECASE,
)
# Apple's own network; Mail Privacy Protection fetches from it with a bare user agent.
_APPLE = ipaddress.ip_network("17.0.0.0/8")


def is_machine(user_agent: str | None, ip: str | None) -> bool:
    ua = (user_agent or "").strip()
    if not ua or ua == "Mozilla/5.0" or _MACHINE_AGENTS.search(ua):
        return True
    try:
        return ip is not None and ipaddress.ip_address(ip) in _APPLE
    except ValueError:
        return False
