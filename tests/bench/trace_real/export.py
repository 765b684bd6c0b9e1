"""Export recorded LLM API traffic from public VCR cassettes to `promptlint trace` JSONL.

Development-time tool, not part of promptlint. `manifest.toml` (next to this file) names public
repositories, the commit of each one's snapshot and the cassette paths (globs) to read. The snapshots
are bare git directories under the mirror root (default `/work/.mirror/OWNER+NAME/...`), put there
beforehand by the development-time `fetch` tool; nothing is downloaded here and no cassette content
is committed to promptlint.

For every cassette (sorted by path) and every interaction in it (in recorded order) that is a
successful POST to a chat / messages / responses / generateContent endpoint with a JSON body, one
line is written:

    {"request": BODY, "response": RESPONSE, "provider": NAME,
     "source": {"repo": ..., "commit": ..., "path": ..., "interaction": I, "uri": ...}}

RESPONSE is the recorded JSON body; for a streamed (SSE) response it is rebuilt from the chunks as
`{"usage": ..., "model": ..., "created": ...}`. Output: one `OWNER+NAME.jsonl` per repository plus
`all.jsonl` in `--out` (default `~/.cache/promptlint-trace-real/`).

Run with the promptlint venv's Python (needs PyYAML):

    .venv/bin/python tests/bench/trace_real/export.py [--mirror DIR] [--out DIR] [--manifest FILE]
"""

from __future__ import annotations

import argparse
import base64
import email.utils
import fnmatch
import gzip
import json
import subprocess
import sys
import tomllib
import urllib.parse
import zlib
from collections import Counter, defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml  # type: ignore[import-untyped,unused-ignore]

HERE = Path(__file__).resolve().parent
DEFAULT_MIRROR = Path("/work/.mirror")
DEFAULT_OUT = Path.home() / ".cache" / "promptlint-trace-real"

#: Request URI host (exact, or suffix after a dot) -> provider name.
HOSTS: tuple[tuple[str, str], ...] = (
    ("api.openai.com", "openai"),
    ("api.anthropic.com", "anthropic"),
    ("api.deepseek.com", "deepseek"),
    ("api.groq.com", "groq"),
    ("api.mistral.ai", "mistral"),
    ("openrouter.ai", "openrouter"),
    ("generativelanguage.googleapis.com", "gemini"),
    ("aiplatform.googleapis.com", "gemini"),
    ("api.x.ai", "xai"),
    ("api.together.xyz", "together"),
    ("api.together.ai", "together"),
    ("api.fireworks.ai", "fireworks"),
)
#: Path fragments of the endpoints kept.
ENDPOINTS = ("chat/completions", "/messages", "/responses", ":generatecontent", ":streamgeneratecontent")
#: A kept request body has at least one of these keys.
BODY_KEYS = ("messages", "input", "system", "instructions", "contents")
#: Usage keys that report prompt-cache use, per dialect.
CACHE_KEYS = (
    "cached_tokens",
    "cache_read_input_tokens",
    "cache_creation_input_tokens",
    "prompt_cache_hit_tokens",
    "cachedContentTokenCount",
    "cached_content_token_count",
)


class CassetteError(ValueError):
    """A cassette or body that cannot be read."""


@dataclass(frozen=True, slots=True)
class Entry:
    """One manifest entry: a repository snapshot and the cassette globs read from it."""

    repo: str
    commit: str
    paths: tuple[str, ...]
    exclude: tuple[str, ...] = ()


@dataclass(slots=True)
class Stats:
    """Counts for one repository."""

    cassettes: int = 0
    unreadable: list[str] = field(default_factory=list)
    interactions: int = 0
    skipped_status: int = 0
    skipped_other: int = 0
    undecodable: int = 0
    written: Counter[str] = field(default_factory=Counter)
    with_cache: Counter[str] = field(default_factory=Counter)
    nonzero_hit: Counter[str] = field(default_factory=Counter)
    multi_request_cassettes: int = 0


# --- manifest and git -------------------------------------------------------------------------------


def load_manifest(path: Path) -> list[Entry]:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    entries = []
    for raw in data.get("repo", []):
        entries.append(
            Entry(
                repo=str(raw["repo"]),
                commit=str(raw["commit"]),
                paths=tuple(str(p) for p in raw["paths"]),
                exclude=tuple(str(p) for p in raw.get("exclude", ())),
            )
        )
    return entries


def git_dir(mirror: Path, repo: str) -> Path:
    """The bare git directory of REPO's snapshot under the mirror root."""
    base = mirror / repo.replace("/", "+")
    for candidate in (base / "repo", base, base / ".git"):
        if (candidate / "HEAD").is_file() and (candidate / "objects").is_dir():
            return candidate
    if base.is_dir():
        for head in sorted(base.rglob("HEAD")):
            if (head.parent / "objects").is_dir():
                return head.parent
    raise FileNotFoundError(f"no git directory for {repo} under {base} (fetch github:{repo} first)")


def git(gdir: Path, *args: str) -> bytes:
    done = subprocess.run(["git", f"--git-dir={gdir}", *args], capture_output=True, check=False)
    if done.returncode != 0:
        raise CassetteError(done.stderr.decode("utf-8", "replace").strip())
    return done.stdout


def cassette_paths(gdir: Path, entry: Entry) -> list[str]:
    """The files of ENTRY's commit that match one of its globs (`*` also crosses `/`), sorted."""
    names = git(gdir, "ls-tree", "-r", "--name-only", "-z", entry.commit).decode("utf-8").split("\0")
    return sorted(
        name
        for name in names
        if name
        and any(fnmatch.fnmatchcase(name, pattern) for pattern in entry.paths)
        and not any(fnmatch.fnmatchcase(name, pattern) for pattern in entry.exclude)
    )


# --- cassettes --------------------------------------------------------------------------------------


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc,unused-ignore]
    """Safe YAML loading; unknown tags (e.g. `!!python/...`) become plain data instead of failing."""


def _unknown_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node, deep=True)
    if isinstance(node, yaml.SequenceNode):  # e.g. `!!python/object/apply:multidict.istr [Accept]`
        items = loader.construct_sequence(node, deep=True)
        hashable = tuple(str(i) if isinstance(i, list | dict) else i for i in items)
        return hashable[0] if len(hashable) == 1 else hashable  # usable as a mapping key
    return loader.construct_scalar(node)


_Loader.add_multi_constructor("tag:yaml.org,2002:python/", _unknown_tag)
_Loader.add_multi_constructor("!", _unknown_tag)


def maybe_decompress(data: bytes) -> bytes:
    if data[:2] == b"\x1f\x8b":
        return gzip.decompress(data)
    if data[:1] == b"\x78" and len(data) > 1 and (data[0] * 256 + data[1]) % 31 == 0:
        try:
            return zlib.decompress(data)
        except zlib.error:
            return data
    return data


def read_cassette(raw: bytes, path: str) -> list[Mapping[str, Any]]:
    """The interactions of one VCR cassette (vcrpy or Ruby VCR; YAML or JSON, optionally gzipped)."""
    raw = maybe_decompress(raw)
    name = path.removesuffix(".gz")
    try:
        if name.endswith(".json"):
            data = json.loads(raw)
        else:
            data = yaml.load(raw, Loader=_Loader)  # a SafeLoader subclass
    except (ValueError, yaml.YAMLError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        raise CassetteError(f"{path}: {type(exc).__name__}: {first[:160]}") from exc
    if isinstance(data, Mapping) and "request" in data and "response" in data:
        interactions = [data]  # one interaction per file
    elif isinstance(data, Mapping):  # vcrpy: `interactions`; Ruby VCR: `http_interactions`
        interactions = data.get("interactions", data.get("http_interactions"))
    elif isinstance(data, list):
        interactions = data
    else:
        interactions = None
    if not isinstance(interactions, list):
        raise CassetteError(f"{path}: no interactions list")
    return [i for i in interactions if isinstance(i, Mapping)]


def _header(headers: Any, name: str) -> str:
    if isinstance(headers, Mapping):
        for key, value in headers.items():
            if str(key).lower() == name:
                if isinstance(value, list):
                    return str(value[0]) if value else ""
                return str(value)
    return ""


def body_bytes(body: Any, headers: Any = None) -> bytes | None:
    """The bytes of a recorded body: a string, `!!binary` bytes, `{string: ...}`, or base64."""
    if isinstance(body, Mapping):
        for key in ("string", "base64_string", "content", "text"):
            if key in body:
                value = body[key]
                if isinstance(value, str) and (
                    key == "base64_string" or str(body.get("encoding", "")).upper() == "ASCII-8BIT"
                ):
                    value = _base64(value)  # Ruby VCR: binary bodies are stored base64-encoded
                return body_bytes(value, headers)
        if "json" in body:
            return json.dumps(body["json"]).encode("utf-8")
        return json.dumps(body).encode("utf-8")
    if body is None:
        return None
    data = body if isinstance(body, bytes) else str(body).encode("utf-8")
    encoding = _header(headers, "content-encoding").lower()
    if data[:2] == b"\x1f\x8b" or encoding in ("gzip", "deflate"):
        try:
            data = maybe_decompress(data) if data[:2] == b"\x1f\x8b" else zlib.decompress(data)
        except (OSError, zlib.error, EOFError):
            pass
    elif encoding == "br":
        try:
            import brotli  # type: ignore[import-not-found]

            data = brotli.decompress(data)
        except Exception:  # brotli missing, or not brotli: leave it
            pass
    return data


def _base64(text: str) -> str | bytes:
    """TEXT decoded when it is entirely base64, else TEXT itself."""
    compact = "".join(text.split())
    if not compact or len(compact) % 4 or compact.lstrip("{[").startswith(("data:", "event:")):
        return text
    try:
        return base64.b64decode(compact, validate=True)
    except ValueError:
        return text


def parse_json(data: bytes | None) -> Any:
    if not data:
        return None
    try:
        return json.loads(data)
    except (ValueError, UnicodeDecodeError):
        return None


def provider_of(host: str) -> str:
    host = host.lower()
    for suffix, name in HOSTS:
        if host == suffix or host.endswith("." + suffix):
            return name
    if host.endswith("-aiplatform.googleapis.com"):  # Vertex AI regional endpoints
        return "gemini"
    return host


def _sse_events(text: str) -> Iterator[Any]:
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("data:"):
            payload = line[5:].strip()
            if payload and payload != "[DONE]":
                try:
                    yield json.loads(payload)
                except ValueError:
                    continue


def _merge(into: dict[str, Any], extra: Mapping[str, Any]) -> None:
    for key, value in extra.items():
        if value is not None:
            into[key] = value


def rebuild_stream(events: list[Any]) -> dict[str, Any] | None:
    """`{"usage", "model", "created"}` from streamed chunks (OpenAI, Responses, Anthropic, Gemini)."""
    out: dict[str, Any] = {}
    usage: dict[str, Any] = {}
    usage_key = "usage"
    for event in events:
        if not isinstance(event, Mapping):
            continue
        kind = event.get("type")
        if kind == "message_start" and isinstance(event.get("message"), Mapping):  # Anthropic
            message = event["message"]
            for key in ("model", "id"):
                if message.get(key):
                    out[key] = message[key]
            if isinstance(message.get("usage"), Mapping):
                _merge(usage, message["usage"])
            continue
        if kind == "message_delta" and isinstance(event.get("usage"), Mapping):
            _merge(usage, event["usage"])
            continue
        if (
            isinstance(kind, str)
            and kind.startswith("response.")
            and isinstance(event.get("response"), Mapping)
        ):
            response = event["response"]  # Responses API: created / in_progress / completed
            for key in ("model", "id", "created_at"):
                if response.get(key):
                    out[key] = response[key]
            if isinstance(response.get("usage"), Mapping):
                usage = dict(response["usage"])
            continue
        if isinstance(event.get("usageMetadata"), Mapping):  # Gemini: the last one is the total
            usage = dict(event["usageMetadata"])
            usage_key = "usageMetadata"
            if event.get("modelVersion"):
                out["modelVersion"] = event["modelVersion"]
            continue
        for key in ("model", "created", "id"):  # OpenAI-compatible chat chunks
            if event.get(key):
                out[key] = event[key]
        if isinstance(event.get("usage"), Mapping):
            usage = dict(event["usage"])
    if not usage and not out:
        return None
    if usage:
        out[usage_key] = usage
    return out


def response_body(response: Mapping[str, Any]) -> tuple[Any, bool]:
    """The response as JSON (streams rebuilt) and whether it could be decoded at all."""
    body = response.get("body", response.get("content"))  # `content`: some httpx-era cassettes
    data = body_bytes(body, response.get("headers"))
    if data is None:
        return None, False
    parsed = parse_json(data)
    if isinstance(parsed, Mapping):
        return parsed, True
    if isinstance(parsed, list):  # Gemini streamGenerateContent without alt=sse: a JSON array
        rebuilt = rebuild_stream(parsed)
        return rebuilt, rebuilt is not None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None, False
    rebuilt = rebuild_stream(list(_sse_events(text)))
    return rebuilt, rebuilt is not None


def _usage(response: Any) -> Mapping[str, Any]:
    if isinstance(response, Mapping):
        for key in ("usage", "usageMetadata", "usage_metadata"):
            if isinstance(response.get(key), Mapping):
                return response[key]  # type: ignore[no-any-return]
    return {}


def cache_numbers(usage: Mapping[str, Any]) -> tuple[bool, int]:
    """Whether USAGE has a cache field, and the reported cache hit (read) in tokens."""
    found = False
    hit = 0
    stack: list[Mapping[str, Any]] = [usage]
    while stack:
        current = stack.pop()
        for key, value in current.items():
            if isinstance(value, Mapping):
                stack.append(value)
            elif key in CACHE_KEYS:
                found = True
                if key != "cache_creation_input_tokens" and isinstance(value, int):
                    hit = max(hit, value)
    return found, hit


def _status(response: Mapping[str, Any]) -> int | None:
    status = response.get("status")
    if isinstance(status, Mapping):
        status = status.get("code")
    if status is None:
        status = response.get("status_code")
    try:
        return int(status) if status is not None else None
    except (TypeError, ValueError):
        return None


def export_interaction(
    interaction: Mapping[str, Any], stats: Stats, source: dict[str, Any]
) -> dict[str, Any] | None:
    """The trace line for one interaction, or None (counted in STATS) when it is not kept."""
    request = interaction.get("request")
    response = interaction.get("response")
    if not isinstance(request, Mapping) or not isinstance(response, Mapping):
        stats.skipped_other += 1
        return None
    uri = str(request.get("uri") or request.get("url") or "")
    parts = urllib.parse.urlsplit(uri)
    method = str(request.get("method") or "").upper()
    if method != "POST" or not any(e in parts.path.lower() for e in ENDPOINTS):
        stats.skipped_other += 1
        return None
    body = parse_json(body_bytes(request.get("body"), request.get("headers")))
    if not isinstance(body, Mapping) or not any(key in body for key in BODY_KEYS):
        stats.skipped_other += 1
        return None
    status = _status(response)
    if status is not None and not 200 <= status < 300:
        stats.skipped_status += 1
        return None
    reply, ok = response_body(response)
    if not ok:
        stats.undecodable += 1
        return None
    provider = provider_of(parts.hostname or uri.split("/", 1)[0])  # or a `<PLACEHOLDER>` base
    line: dict[str, Any] = {
        "request": body,
        "response": reply,
        "provider": provider,
        "source": {**source, "uri": f"{parts.scheme}://{parts.netloc}{parts.path}"},
    }
    recorded = interaction.get("recorded_at")  # Ruby VCR records when each request was made
    if isinstance(recorded, str) and recorded:
        line["timestamp"] = _iso(recorded)
    return line


def _iso(recorded: str) -> str:
    """Ruby VCR's `Tue, 02 Sep 2025 10:11:12 GMT` as ISO 8601 (trace reads ISO or epoch times)."""
    try:
        return email.utils.parsedate_to_datetime(recorded).isoformat()
    except (TypeError, ValueError, IndexError):
        return recorded


def export_repo(entry: Entry, mirror: Path, stats: Stats) -> list[dict[str, Any]]:
    gdir = git_dir(mirror, entry.repo)
    try:
        git(gdir, "cat-file", "-e", f"{entry.commit}^{{commit}}")
    except CassetteError as exc:
        raise CassetteError(f"{entry.repo}: commit {entry.commit} not in {gdir}: {exc}") from exc
    lines: list[dict[str, Any]] = []
    for path in cassette_paths(gdir, entry):
        try:
            interactions = read_cassette(git(gdir, "show", f"{entry.commit}:{path}"), path)
        except CassetteError as exc:
            stats.unreadable.append(str(exc))
            continue
        stats.cassettes += 1
        kept = 0
        for index, interaction in enumerate(interactions):
            stats.interactions += 1
            source = {"repo": entry.repo, "commit": entry.commit, "path": path, "interaction": index}
            line = export_interaction(interaction, stats, source)
            if line is None:
                continue
            kept += 1
            provider = line["provider"]
            stats.written[provider] += 1
            found, hit = cache_numbers(_usage(line["response"]))
            if found:
                stats.with_cache[provider] += 1
            if hit > 0:
                stats.nonzero_hit[provider] += 1
            lines.append(line)
        if kept > 1:
            stats.multi_request_cassettes += 1
    return lines


def write_jsonl(path: Path, lines: list[dict[str, Any]]) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for line in lines:
            handle.write(json.dumps(line, ensure_ascii=False) + "\n")


def report(repo: str, stats: Stats) -> None:
    total = sum(stats.written.values())
    print(
        f"{repo}: {stats.cassettes} cassettes ({stats.multi_request_cassettes} with >1 request), "
        f"{stats.interactions} interactions, {total} requests written, "
        f"{sum(stats.with_cache.values())} with cache usage fields, "
        f"{sum(stats.nonzero_hit.values())} with a nonzero hit; skipped: {stats.skipped_status} non-2xx, "
        f"{stats.undecodable} undecodable responses, {stats.skipped_other} other"
    )
    for provider in sorted(stats.written, key=lambda p: -stats.written[p]):
        print(
            f"    {provider:<40} {stats.written[provider]:>5} requests "
            f"{stats.with_cache[provider]:>5} with cache fields {stats.nonzero_hit[provider]:>5} hits"
        )
    for problem in stats.unreadable:
        print(f"    unreadable: {problem}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--manifest", type=Path, default=HERE / "manifest.toml")
    parser.add_argument("--mirror", type=Path, default=DEFAULT_MIRROR, help="root of fetched snapshots")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="directory for the JSONL files")
    parser.add_argument("--repo", action="append", help="export only this repository (repeatable)")
    args = parser.parse_args(argv)

    args.out.mkdir(parents=True, exist_ok=True)
    everything: list[dict[str, Any]] = []
    totals: dict[str, Counter[str]] = defaultdict(Counter)
    failed = 0
    for entry in load_manifest(args.manifest):
        if args.repo and entry.repo not in args.repo:
            continue
        stats = Stats()
        try:
            lines = export_repo(entry, args.mirror, stats)
        except (FileNotFoundError, CassetteError) as exc:
            print(f"{entry.repo}: SKIPPED: {exc}", file=sys.stderr)
            failed += 1
            continue
        write_jsonl(args.out / f"{entry.repo.replace('/', '+')}.jsonl", lines)
        everything.extend(lines)
        report(entry.repo, stats)
        for name, counter in (("written", stats.written), ("cache", stats.with_cache)):
            totals[name].update(counter)
        totals["hit"].update(stats.nonzero_hit)
    write_jsonl(args.out / "all.jsonl", everything)
    print(
        f"all: {len(everything)} requests, {sum(totals['cache'].values())} with cache usage fields, "
        f"{sum(totals['hit'].values())} with a nonzero hit -> {args.out / 'all.jsonl'}"
    )
    for provider in sorted(totals["written"], key=lambda p: -totals["written"][p]):
        print(
            f"    {provider:<40} {totals['written'][provider]:>5} requests "
            f"{totals['cache'][provider]:>5} with cache fields {totals['hit'][provider]:>5} hits"
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
