"""One logged request/response as provider-neutral data: prefix items in cache order, plus usage.

Accepted line shapes: `{"request": {...}, "response": {...}}` (plus optional wrapper fields such as
`conversation_id`), or a bare request body (usage may sit beside it). Request bodies: OpenAI Chat
Completions (`messages`, `tools`, `response_format`), Responses (`instructions`, `input`, `tools`,
`text.format`), Anthropic Messages (`tools`, `system`, `messages`, `cache_control`). Items follow the
provider's serialisation order (tools, schema, system, messages); each content block is one item so
Anthropic block counts and breakpoints survive. Texts are the logged values, key order preserved.
"""

from __future__ import annotations

import datetime
import json
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

_ID_FIELDS = ("conversation_id", "conversation", "session_id", "thread_id")
_USER_FIELDS = ("user_id", "user", "prompt_cache_key")


class MalformedRecord(ValueError):
    """The line is JSON but not a request this module understands."""


@dataclass(frozen=True, slots=True)
class Item:
    """One cacheable piece: `section` tools|schema|system|messages; `index`/`block` locate it."""

    section: str
    role: str
    text: str
    index: int | None = None
    block: int | None = None
    breakpoint: bool = False
    media: bool = False  # an image, audio or file part: billed by its own rules, not by its text


@dataclass(frozen=True, slots=True)
class Usage:
    """Reported token counts; None when the log does not say."""

    prompt_tokens: int | None = None
    cached_tokens: int | None = None
    write_tokens: int | None = None
    #: Tokens the model generated (with reasoning): what a provider that caches its own output can add.
    output_tokens: int | None = None


@dataclass(frozen=True, slots=True)
class LoggedRequest:
    """A normalised log line."""

    line: int
    provider: str
    model: str
    items: tuple[Item, ...]
    usage: Usage
    explicit_id: str | None = None
    automatic_breakpoint: bool = False
    #: True when `explicit_id` names a conversation (not a user, who may have many conversations).
    explicit_is_conversation: bool = False
    #: When the request was sent (seconds since the epoch), if the log says.
    time: float | None = None
    #: Request parameters that change what is cached or how it is looked up, as `name=value` pairs.
    params: tuple[tuple[str, str], ...] = ()
    #: The API host the request went to, when the log says (`url`, `host`, `base_url` fields).
    host: str | None = None
    #: The `type` of each tool that is not a plain function (`web_search_20250305`, `mcp`, Gemini's
    #: `googleSearch`): the provider may run it itself and bill its results as input.
    tool_types: tuple[str, ...] = ()

    @property
    def total_chars(self) -> int:
        return sum(len(item.text) for item in self.items)

    def first_user_item(self) -> int:
        """Index of the first user-message item (len(items) if none)."""
        for i, item in enumerate(self.items):
            if item.section == "messages" and item.role == "user":
                return i
        return len(self.items)


def parse_line(line: int, obj: Any, provider_hint: str | None = None) -> LoggedRequest:
    """Normalise one decoded JSON line. Raises `MalformedRecord` on an unrecognised shape."""
    if not isinstance(obj, Mapping):
        raise MalformedRecord("line is not a JSON object")
    request = obj.get("request", obj)
    response = obj.get("response") if "request" in obj else None
    if not isinstance(request, Mapping):
        raise MalformedRecord("`request` is not an object")
    if not any(k in request for k in ("messages", "input", "instructions", "system", "contents")):
        raise MalformedRecord("no `messages`, `input`, `instructions`, `system` or `contents` in the request")
    usage_obj = _usage_object(response, obj)
    model = _model(obj, request, response)
    provider = provider_hint or _provider(obj, request, usage_obj, model)
    explicit = _explicit_id(obj, request)
    return LoggedRequest(
        line=line,
        provider=provider,
        model=model,
        items=tuple(request_items(request)),
        usage=_usage(usage_obj),
        explicit_id=explicit,
        explicit_is_conversation=explicit is not None and explicit.split("=", 1)[0] in _ID_FIELDS,
        automatic_breakpoint=isinstance(request.get("cache_control"), Mapping),
        time=_time(obj, response),
        params=_params(request),
        host=_host(obj),
        tool_types=_tool_types(request),
    )


def _tool_types(request: Mapping[str, Any]) -> tuple[str, ...]:
    found: list[str] = []
    tools = request.get("tools")
    for tool in tools if isinstance(tools, list) else ():
        if not isinstance(tool, Mapping):
            continue
        kind = tool.get("type")
        if isinstance(kind, str) and kind not in ("function", "custom"):
            found.append(kind)
        elif kind is None and not {"name", "function", "input_schema"} & tool.keys():
            # Gemini: {"googleSearch": {}}, {"codeExecution": {}}, {"functionDeclarations": [...]}
            # (an Anthropic custom tool has no `type` but a `name`)
            found.extend(k for k in tool if k not in ("functionDeclarations", "function_declarations"))
    if request.get("mcp_servers"):
        found.append("mcp")
    return tuple(found)


_HOST_FIELDS = ("url", "host", "base_url", "api_base", "endpoint")


def _host(obj: Mapping[str, Any]) -> str | None:
    """The API host of the request: a wrapper field holding a URL or a bare host name."""
    for key in _HOST_FIELDS:
        value = obj.get(key)
        if isinstance(value, str) and value:
            try:
                parsed = urllib.parse.urlsplit(value if "//" in value else "//" + value)
                host = parsed.hostname
            except ValueError:  # `http://[api.openai.com/...`: not a URL; the line is still read
                continue
            if host:
                return host
    return None


# Parameters whose change makes the next request miss although the prompt text is the same: the tool
# choice and thinking settings are part of Anthropic's cached prefix, OpenAI routes by prompt_cache_key.
CACHE_PARAMETERS = (
    "tool_choice",
    "thinking",
    "reasoning_effort",
    "effort",
    "reasoning",
    "prompt_cache_key",
    "cachedContent",  # Gemini explicit cache: another cached content is another prefix
    "cached_content",
    "toolConfig",
)


def _params(request: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    out = []
    for key in CACHE_PARAMETERS:
        if key in request:
            try:
                value = json.dumps(request[key], sort_keys=True, default=str)
            except (TypeError, ValueError):
                value = repr(request[key])
            out.append((key, value))
    return tuple(out)


_TIME_FIELDS = ("timestamp", "time", "created_at", "ts", "request_time")


def _time(obj: Mapping[str, Any], response: Any) -> float | None:
    """The request's time: a top-level timestamp (epoch seconds or ISO 8601), else the response's
    `created` (epoch seconds, as the OpenAI and DeepSeek SDKs return it)."""
    for key in _TIME_FIELDS:
        value = obj.get(key)
        if value is not None:
            found = _as_epoch(value)
            if found is not None:
                return found
    if isinstance(response, Mapping):
        return _as_epoch(response.get("created"))
    return None


def _as_epoch(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value) / 1000.0 if value > 1e11 else float(value)  # milliseconds, or seconds
    if isinstance(value, str) and value:
        try:
            parsed = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=datetime.UTC)
        return parsed.timestamp()
    return None


def _model(obj: Mapping[str, Any], request: Mapping[str, Any], response: Any) -> str:
    """The model: the request's, the response's (`modelVersion` for Gemini), or a Gemini URL's
    `models/NAME:generateContent` path."""
    reply = response if isinstance(response, Mapping) else {}
    for value in (request.get("model"), obj.get("model"), reply.get("model"), reply.get("modelVersion")):
        if isinstance(value, str) and value:
            return value.removeprefix("models/")
    for key in _HOST_FIELDS:
        url = obj.get(key)
        if isinstance(url, str) and "/models/" in url:
            return url.split("/models/", 1)[1].split(":", 1)[0].split("?", 1)[0]
    return ""


def request_items(request: Mapping[str, Any]) -> list[Item]:
    """The prefix items of a request body, in the order the provider caches them."""
    if "contents" in request and "messages" not in request:
        return _gemini_items(request)
    items: list[Item] = []
    tools = request.get("tools")
    if tools:
        marked = isinstance(tools, list) and any(
            isinstance(t, Mapping) and "cache_control" in t for t in tools
        )
        items.append(Item("tools", "tools", _dump(tools), breakpoint=marked))
    text_options = request.get("text")
    schema = request.get("response_format") or (
        text_options.get("format") if isinstance(text_options, Mapping) else None
    )
    if schema:
        items.append(Item("schema", "schema", _dump(schema)))
    for key in ("instructions", "system"):
        value = request.get(key)
        if isinstance(value, str):
            items.append(Item("system", "system", value))
        elif isinstance(value, list):
            for b, block in enumerate(value):
                items.append(_block_item("system", "system", None, b, block))
    messages = request.get("messages", request.get("input"))
    if isinstance(messages, str):
        items.append(Item("messages", "user", messages, index=0, block=0))
    elif isinstance(messages, list):
        for m, message in enumerate(messages):
            items.extend(_message_items(m, message))
    return items


def _gemini_items(request: Mapping[str, Any]) -> list[Item]:
    """A Gemini `generateContent` body: tools, system instruction, then `contents` turns of `parts`
    (camelCase as the REST API spells it, snake_case as the Python SDK logs it)."""
    items: list[Item] = []
    tools = request.get("tools")
    if tools:
        items.append(Item("tools", "tools", _dump(tools)))
    config = request.get("generationConfig") or request.get("generation_config")
    if isinstance(config, Mapping):
        schema = config.get("responseSchema") or config.get("response_schema")
        if schema:
            items.append(Item("schema", "schema", _dump(schema)))
    system = request.get("systemInstruction") or request.get("system_instruction")
    if isinstance(system, str):
        items.append(Item("system", "system", system))
    elif isinstance(system, Mapping):
        for b, part in enumerate(_as_list(system.get("parts"))):
            items.append(_part_item("system", "system", None, b, part))
    contents = request.get("contents")
    if isinstance(contents, str):
        contents = [{"role": "user", "parts": [{"text": contents}]}]
    for m, turn in enumerate(contents if isinstance(contents, list) else ()):
        if not isinstance(turn, Mapping):
            items.append(Item("messages", "?", _dump(turn), index=m, block=0))
            continue
        role = {"model": "assistant"}.get(str(turn.get("role") or "user"), str(turn.get("role") or "user"))
        parts = _as_list(turn.get("parts"))
        items.extend(_part_item("messages", role, m, b, part) for b, part in enumerate(parts))
        if not parts:
            items.append(Item("messages", role, "", index=m, block=0))
    return items


def _as_list(value: Any) -> list[Any]:
    """A logged `parts` value as a list: a lone part (or a stray scalar) is one part."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


_MEDIA_TYPES = frozenset(
    {"image", "image_url", "input_image", "input_audio", "audio", "file", "input_file", "document"}
)
_MEDIA_KEYS = frozenset({"inline_data", "inlineData", "file_data", "fileData", "image_url", "input_audio"})


def _is_media(part: Mapping[str, Any]) -> bool:
    """Whether a content part carries an image, audio or file rather than text."""
    kind = part.get("type")
    return (isinstance(kind, str) and kind in _MEDIA_TYPES) or not _MEDIA_KEYS.isdisjoint(part)


def _part_item(section: str, role: str, index: int | None, b: int, part: Any) -> Item:
    if isinstance(part, Mapping) and isinstance(part.get("text"), str) and len(part) == 1:
        return Item(section, role, part["text"], index=index, block=b)
    if isinstance(part, Mapping):
        return Item(section, role, _dump(part), index=index, block=b, media=_is_media(part))
    return Item(section, role, part if isinstance(part, str) else _dump(part), index=index, block=b)


def _message_items(index: int, message: Any) -> list[Item]:
    if not isinstance(message, Mapping):
        return [Item("messages", "?", _dump(message), index=index, block=0)]
    role = str(message.get("role") or message.get("type") or "?")
    section = "system" if role in ("system", "developer") else "messages"
    content = message.get("content")
    out: list[Item] = []
    if isinstance(content, str):
        out.append(Item(section, role, content, index=index, block=0))
    elif isinstance(content, list):
        out.extend(_block_item(section, role, index, b, block) for b, block in enumerate(content))
    extra = {k: v for k, v in message.items() if k not in ("role", "content")}
    if extra:
        out.append(Item(section, role, _dump(extra), index=index, block=len(out)))
    return out or [Item(section, role, "", index=index, block=0)]


def _block_item(section: str, role: str, index: int | None, b: int, block: Any) -> Item:
    if isinstance(block, Mapping):
        marked = "cache_control" in block
        if isinstance(block.get("text"), str) and block.get("type") in ("text", "input_text", "output_text"):
            return Item(section, role, block["text"], index=index, block=b, breakpoint=marked)
        body = {k: v for k, v in block.items() if k != "cache_control"}
        return Item(
            section, role, _dump(body), index=index, block=b, breakpoint=marked, media=_is_media(body)
        )
    return Item(section, role, block if isinstance(block, str) else _dump(block), index=index, block=b)


def _dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _usage_object(response: Any, obj: Mapping[str, Any]) -> Mapping[str, Any]:
    for holder in (response, obj):
        if isinstance(holder, Mapping):
            for key in ("usage", "usage_metadata", "usageMetadata"):
                if isinstance(holder.get(key), Mapping):
                    return holder[key]  # type: ignore[no-any-return]
    return {}


def _usage(u: Mapping[str, Any]) -> Usage:
    found = _input_usage(u)
    out = _int(u.get("completion_tokens"))
    if out is None:
        out = _int(u.get("output_tokens"))
    if out is None:
        parts = [_int(u.get(k)) for k in ("candidatesTokenCount", "candidates_token_count")]
        thoughts = [_int(u.get(k)) for k in ("thoughtsTokenCount", "thoughts_token_count")]
        if any(p is not None for p in parts):
            out = sum(p or 0 for p in parts + thoughts)
    return found if out is None else Usage(found.prompt_tokens, found.cached_tokens, found.write_tokens, out)


def _input_usage(u: Mapping[str, Any]) -> Usage:
    if "prompt_cache_hit_tokens" in u:  # DeepSeek
        hit = _int(u.get("prompt_cache_hit_tokens")) or 0
        miss = _int(u.get("prompt_cache_miss_tokens"))
        prompt = _int(u.get("prompt_tokens")) or (hit + miss if miss is not None else None)
        return Usage(prompt, hit)
    if "cache_read_input_tokens" in u or "cache_creation_input_tokens" in u:  # Anthropic
        read = _int(u.get("cache_read_input_tokens")) or 0
        write = _int(u.get("cache_creation_input_tokens")) or 0
        return Usage((_int(u.get("input_tokens")) or 0) + read + write, read, write)
    if "prompt_tokens" in u:  # Chat Completions (OpenAI, vLLM)
        details = u.get("prompt_tokens_details") or {}
        prompt, cached = _int(u.get("prompt_tokens")), _int(details.get("cached_tokens")) or 0
        if prompt is not None and cached > prompt:
            prompt += cached  # a gateway that counts only the uncached input as prompt tokens
        return Usage(prompt, cached)
    if "input_tokens" in u:  # Responses
        details = u.get("input_tokens_details") or {}
        return Usage(_int(u.get("input_tokens")), _int(details.get("cached_tokens")) or 0)
    for prompt_key, cached_key in (
        ("prompt_token_count", "cached_content_token_count"),
        ("promptTokenCount", "cachedContentTokenCount"),
    ):
        if prompt_key in u:
            return Usage(_int(u.get(prompt_key)), _int(u.get(cached_key)) or 0)
    return Usage()


def _provider(
    obj: Mapping[str, Any], request: Mapping[str, Any], usage: Mapping[str, Any], model: str
) -> str:
    explicit = obj.get("provider")
    if isinstance(explicit, str) and explicit:
        return explicit.lower()
    if "prompt_cache_hit_tokens" in usage or model.startswith("deepseek"):
        return "deepseek"
    if "cache_read_input_tokens" in usage or model.startswith("claude") or "system" in request:
        return "anthropic"
    if (
        model.startswith("gemini")
        or "contents" in request
        or "cached_content_token_count" in usage
        or "cachedContentTokenCount" in usage
    ):
        return "gemini"
    return "openai"


def _explicit_id(obj: Mapping[str, Any], request: Mapping[str, Any]) -> str | None:
    for holder in (obj, request):
        for key in _ID_FIELDS:
            if isinstance(holder.get(key), str | int) and not isinstance(holder.get(key), bool):
                return f"{key}={holder[key]}"
    metadata = request.get("metadata")
    for holder in (request, metadata if isinstance(metadata, Mapping) else {}):
        for key in _USER_FIELDS:
            if isinstance(holder.get(key), str) and holder[key]:
                return f"{key}={holder[key]}"
    return None


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None
