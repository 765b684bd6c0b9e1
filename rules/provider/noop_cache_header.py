"""Request header that no prompt cache reads.

## What it does
Flags `X-Cache-*` request headers (`extra_headers`, `default_headers`, header dicts) and reads of an
`X-Cache-Hit` response header. Outside the SDKs' `extra_headers=`/`default_headers=`, only modules
that talk to an LLM API (they mention openai, anthropic, deepseek, litellm, gemini or an LLM endpoint)
are checked, so plain HTTP code that sends cache headers to a CDN is left alone.

## Why is this bad?
No provider documents these headers. DeepSeek and OpenAI cache automatically; Anthropic uses
`cache_control` blocks; hits are reported in the response's `usage`
(`prompt_cache_hit_tokens`, `prompt_tokens_details.cached_tokens`, `cache_read_input_tokens`). The
headers do nothing, and code that reads `X-Cache-Hit` never measures the real hit rate.

## Fix safety
Safe: removing a request header changes nothing the model receives.
"""

from promptlint.api import Example, HeaderRule, Severity


class NoopCacheHeader(HeaderRule):
    code = "PC501"
    name = "noop-cache-header"
    severity = Severity.WARNING
    message = "Header `{header}` has no effect: {why}"
    header_pattern = r"(?i)^x-cache-"
    examples = (
        Example.bad(
            "from openai import OpenAI\n\n"
            'client = OpenAI(base_url="https://api.deepseek.com")\n'
            'resp = client.chat.completions.create(model="deepseek-chat", messages=[{"role": "user", "content": "Hi"}],\n'
            '                                      extra_headers={"X-Cache-Enable": "true", "X-Request-ID": "abc"})\n',
            fixed="from openai import OpenAI\n\n"
            'client = OpenAI(base_url="https://api.deepseek.com")\n'
            'resp = client.chat.completions.create(model="deepseek-chat", messages=[{"role": "user", "content": "Hi"}],\n'
            '                                      extra_headers={"X-Request-ID": "abc"})\n',
        ),
        Example.bad(
            "from openai import OpenAI\n\n"
            'client = OpenAI(base_url="https://api.deepseek.com")\n'
            'raw = client.chat.completions.with_raw_response.create(model="deepseek-chat", messages=[])\n'
            'hit = raw.headers.get("X-Cache-Hit", "false") == "true"\n'
        ),
        Example.good(
            "import requests\n\n"
            "# Not an LLM request: a CDN may honour this header, so it is left alone.\n"
            'page = requests.get("https://example.com", headers={"X-Cache-Bypass": "1"}, timeout=5)\n'
        ),
        Example.good(
            'hit_tokens = response.usage.prompt_cache_hit_tokens\nheaders = {"X-Request-ID": request_id}\n'
        ),
    )
