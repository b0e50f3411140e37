"""Untrusted text never reaches Plotly as markup; only http(s) links are kept."""

from conflictmap.textsafe import plain, safe_url


def test_tags_are_removed_and_brackets_neutralised():
    out = plain(
        '<script>alert(1)</script>Clash <img src=x onerror="alert(2)"> near &lt;b&gt;Dhiban&lt;/b&gt;'
    )
    assert "<" not in out and ">" not in out
    assert "script" not in out.lower() or "‹script›" in out
    assert "onerror" not in out
    assert "Clash" in out and "Dhiban" in out


def test_plain_truncates_and_handles_none():
    assert plain(None) == ""
    assert plain("a" * 50, limit=10).endswith("…")
    assert len(plain("a" * 50, limit=10)) == 10


def test_only_http_links():
    assert safe_url("https://example.org/a") == "https://example.org/a"
    assert safe_url("javascript:alert(1)") is None
    assert safe_url(" JAVASCRIPT:alert(1)") is None
    assert safe_url("data:text/html,hi") is None
    assert safe_url("//example.org") is None
    assert safe_url(None) is None
