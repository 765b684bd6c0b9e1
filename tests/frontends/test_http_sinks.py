"""Raw HTTP requests to model APIs: which URLs name one (data/sinks.toml [http])."""

from __future__ import annotations

import pytest

from promptlint.frontends.python.wrappers import sink_table


@pytest.mark.parametrize(
    ("url", "api"),
    [
        ("/v1/chat/completions", "openai"),
        ("http://localhost:11434/api/chat", "openai"),
        ("/api/chat?stream=false", "openai"),
        ("https://api.anthropic.com/v1/messages", "anthropic"),
        ("/api/chatrooms/7/post", None),
        ("/api/generate_report", None),
        ("/hooks/notify", None),
    ],
)
def test_model_api_paths(url: str, api: str | None) -> None:
    assert sink_table().http_api(url) == api
