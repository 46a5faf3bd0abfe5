"""The dashboard's static promises, checked without a browser: the two message catalogs say the
same things, every key the components use exists, and AWS sends the same CSP as the dev server."""

from __future__ import annotations

import json
import re

import yaml
from mailpass_dev.dashboard import CSP, SECURITY_HEADERS
from mailpass_dev.template import ROOT

DASH = ROOT / "dashboard"
CATALOGS = DASH / "src" / "i18n"


def catalog(lang: str) -> dict[str, str]:
    loaded: dict[str, str] = json.loads((CATALOGS / f"{lang}.json").read_text())
    return loaded


def test_english_and_korean_catalogs_have_the_same_keys() -> None:
    en, ko = catalog("en"), catalog("ko")
    assert sorted(en) == sorted(ko), {
        "only in en": sorted(set(en) - set(ko)),
        "only in ko": sorted(set(ko) - set(en)),
    }
    assert all(v.strip() for v in [*en.values(), *ko.values()])
    # Every {placeholder} a message fills is in both languages.
    for key in en:
        assert set(re.findall(r"\{(\w+)\}", en[key])) == set(re.findall(r"\{(\w+)\}", ko[key])), key


def test_every_literal_key_the_components_use_is_in_the_catalogs() -> None:
    en = catalog("en")
    used: set[str] = set()
    for path in (DASH / "src").rglob("*.js*"):
        # t("a.b") and t(cond ? "a.b" : "c.d"): every quoted dotted key inside a t(...) call
        for call in re.findall(r"\bt\(([^()]*?)[,)]", path.read_text()):
            used.update(re.findall(r"\"([a-z_-]+(?:\.[a-z_-]+)+)\"", call))
    assert used, "no t() calls found"
    assert sorted(used - set(en)) == []


def test_no_user_visible_text_is_hard_coded_in_the_pages() -> None:
    """Text between JSX tags comes from t(): a capitalised word sitting in markup is a string
    someone forgot to put in the catalogs."""
    for path in (DASH / "src").rglob("*.jsx"):
        for line in path.read_text().splitlines():
            assert not re.search(r">\s*[A-Z][a-z]+(\s+[a-z]+)*\s*</", line), f"{path.name}: {line}"


def test_cloudfront_sends_the_dev_servers_csp_and_denies_framing() -> None:
    class Loader(yaml.SafeLoader):
        pass

    def any_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> object:
        return None

    Loader.add_multi_constructor("!", any_tag)
    template = yaml.load((ROOT / "template.yaml").read_text(), Loader=Loader)  # noqa: S506
    policy = template["Resources"]["DashboardHeadersPolicy"]["Properties"]
    headers = policy["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]
    assert headers["ContentSecurityPolicy"]["ContentSecurityPolicy"] == CSP
    assert headers["FrameOptions"]["FrameOption"] == SECURITY_HEADERS["x-frame-options"]
    assert "'unsafe-inline'" not in CSP
    assert "frame-ancestors 'none'" in CSP


def test_the_api_app_never_imports_the_dashboard_mount() -> None:
    for path in (ROOT / "functions").rglob("*.py"):
        assert "mailpass_dev" not in path.read_text(), path
