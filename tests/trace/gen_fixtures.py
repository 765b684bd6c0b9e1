"""Regenerate fixtures/trace/*.jsonl (run: python tests/trace/gen_fixtures.py).

Responses are shaped like the OpenAI and Anthropic Python SDKs' `model_dump()` output. Token counts
are real o200k_base counts of the serialised request text, so the char/token ratio is realistic.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from promptlint.tokens import load_encoding

OUT = Path(__file__).resolve().parents[2] / "fixtures" / "trace"
ENC = load_encoding("o200k_base")

POLICY = "".join(
    f"Policy {i}: be precise, cite the order number, never promise refunds above the documented limit, "
    f"and escalate account-security questions to a human agent.\n"
    for i in range(60)
)
TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "lookup_order",
            "description": "Look up an order by id",
            "parameters": {
                "type": "object",
                "properties": {"order_id": {"type": "string"}},
                "required": ["order_id"],
            },
        },
    },
    {
        "type": "function",
        "function": {
            "name": "refund",
            "description": "Refund an order",
            "parameters": {
                "type": "object",
                "properties": {"amount": {"type": "number"}},
                "required": ["amount"],
            },
        },
    },
]


def ntok(request: dict[str, Any]) -> int:
    return len(ENC.encode_ordinary(json.dumps(request, ensure_ascii=False)))


def chat_response(rid: int, model: str, prompt: int, cached: int, text: str = "Sure.") -> dict[str, Any]:
    return {
        "id": f"chatcmpl-{rid:08d}",
        "choices": [
            {
                "finish_reason": "stop",
                "index": 0,
                "logprobs": None,
                "message": {
                    "content": text,
                    "refusal": None,
                    "role": "assistant",
                    "annotations": [],
                    "audio": None,
                    "function_call": None,
                    "tool_calls": None,
                },
            }
        ],
        "created": 1795000000 + rid,
        "model": model,
        "object": "chat.completion",
        "service_tier": "default",
        "system_fingerprint": "fp_a1b2c3",
        "usage": {
            "completion_tokens": 12,
            "prompt_tokens": prompt,
            "total_tokens": prompt + 12,
            "completion_tokens_details": {
                "accepted_prediction_tokens": 0,
                "audio_tokens": 0,
                "reasoning_tokens": 0,
                "rejected_prediction_tokens": 0,
            },
            "prompt_tokens_details": {"audio_tokens": 0, "cached_tokens": cached},
        },
    }


def write(name: str, rows: list[Any]) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with (OUT / name).open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write((row if isinstance(row, str) else json.dumps(row, ensure_ascii=False)) + "\n")


def openai_timestamp() -> None:
    rows = []
    questions = [
        "Where is my order 1182?",
        "Can I change my address?",
        "How do refunds work?",
        "Cancel order 77.",
    ]
    for i, q in enumerate(questions):
        req = {
            "model": "gpt-4o-2024-08-06",
            "messages": [
                {
                    "role": "system",
                    "content": f"Current time: 2026-11-22 10:{i:02d}:{(i * 17) % 60:02d}\n{POLICY}",
                },
                {"role": "user", "content": q},
            ],
            "tools": TOOLS,
        }
        rows.append({"request": req, "response": chat_response(i, req["model"], ntok(req), 0)})
    write("openai_chat_timestamp.jsonl", rows)


def openai_conversation() -> None:
    model = "gpt-4.1-mini"
    system = {"role": "system", "content": POLICY}
    turns = [
        ("Hi, order 1182 is late.", "Let me check order 1182."),
        ("It was due Monday.", "I see a delay at the depot."),
        ("Can you refund shipping?", "I have refunded the shipping fee."),
        ("Thanks, and order 1190?", "Order 1190 shipped today."),
    ]
    rows: list[Any] = []
    history: list[dict[str, Any]] = [system]
    cached = 0
    for n, (user, answer) in enumerate(turns):
        history = history + [{"role": "user", "content": user}]
        req = {"model": model, "messages": history, "tools": TOOLS, "user": "cust-42"}
        prompt = ntok(req)
        rows.append(
            {
                "conversation_id": "conv-7",
                "request": req,
                "response": chat_response(100 + n, model, prompt, cached, answer),
            }
        )
        cached = (prompt // 128) * 128 if prompt >= 1024 else 0
        history = history + [{"role": "assistant", "content": answer}]
    # history-edited: an earlier assistant reply rewritten
    edited = [dict(m) for m in history] + [{"role": "user", "content": "One more question."}]
    edited[2]["content"] = "Let me check order 1182 for you."
    req = {"model": model, "messages": edited, "tools": TOOLS}
    rows.append(
        {"conversation_id": "conv-7", "request": req, "response": chat_response(110, model, ntok(req), 0)}
    )
    history = edited + [{"role": "assistant", "content": "Go ahead."}]
    # sliding-window: drop the oldest user/assistant pair, keep the system message
    window = [history[0]] + history[3:] + [{"role": "user", "content": "And order 1201?"}]
    req = {"model": model, "messages": window, "tools": TOOLS}
    rows.append(
        {"conversation_id": "conv-7", "request": req, "response": chat_response(111, model, ntok(req), 0)}
    )
    history = window + [{"role": "assistant", "content": "1201 is packed."}]
    # tools-changed: tool list reordered
    req = {"model": model, "messages": history + [{"role": "user", "content": "ok"}], "tools": TOOLS[::-1]}
    rows.append(
        {"conversation_id": "conv-7", "request": req, "response": chat_response(112, model, ntok(req), 0)}
    )
    write("openai_chat_conversation.jsonl", rows)


def openai_json_order() -> None:
    model = "gpt-4o-mini"
    rows = []
    profiles = [
        {"name": "Ada", "plan": "pro", "region": "eu"},
        {"plan": "pro", "region": "eu", "name": "Ada"},
    ]
    for i, profile in enumerate(profiles):
        req = {
            "model": model,
            "messages": [
                {"role": "system", "content": "Customer profile: " + json.dumps(profile) + "\n" + POLICY},
                {"role": "user", "content": f"Question {i}"},
            ],
        }
        rows.append({"request": req, "response": chat_response(200 + i, model, ntok(req), 0)})
    write("openai_chat_json_order.jsonl", rows)


def responses_id() -> None:
    rows = []
    for i, rid in enumerate(["3f2a9c4e-1b7d-4c8e-9a2f-6d5e4c3b2a10", "9b8c7d6e-5f4a-4b3c-8d2e-1f0a9b8c7d6e"]):
        req = {
            "model": "gpt-5-mini",
            "instructions": f"Trace {rid}. " + POLICY,
            "input": [{"role": "user", "content": [{"type": "input_text", "text": f"Summarise ticket {i}"}]}],
        }
        prompt = ntok(req)
        resp = {
            "id": f"resp_{i:04d}",
            "object": "response",
            "created_at": 1795000100 + i,
            "status": "completed",
            "model": "gpt-5-mini-2025-08-07",
            "output": [
                {
                    "id": f"msg_{i}",
                    "type": "message",
                    "role": "assistant",
                    "status": "completed",
                    "content": [{"type": "output_text", "text": "Done.", "annotations": []}],
                }
            ],
            "usage": {
                "input_tokens": prompt,
                "input_tokens_details": {"cached_tokens": 0},
                "output_tokens": 5,
                "output_tokens_details": {"reasoning_tokens": 0},
                "total_tokens": prompt + 5,
            },
        }
        rows.append({"request": req, "response": resp})
    write("responses_request_id.jsonl", rows)


def anthropic_usage(inp: int, read: int, write_: int) -> dict[str, Any]:
    return {
        "cache_creation": {"ephemeral_1h_input_tokens": 0, "ephemeral_5m_input_tokens": write_},
        "cache_creation_input_tokens": write_,
        "cache_read_input_tokens": read,
        "input_tokens": inp,
        "output_tokens": 20,
        "server_tool_use": None,
        "service_tier": "standard",
    }


def anthropic_message(i: int, model: str, usage: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": f"msg_01{i:020d}",
        "content": [{"citations": None, "text": "Certainly.", "type": "text"}],
        "model": model,
        "role": "assistant",
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "type": "message",
        "usage": usage,
    }


def anthropic() -> None:
    rows = []
    system = [{"type": "text", "text": POLICY * 2}]
    # breakpoint on the varying user message: written every time, never read
    for i, q in enumerate(["Where is order 5?", "Refund order 6?", "Cancel order 7?"]):
        req = {
            "model": "claude-sonnet-4-5-20250929",
            "max_tokens": 1024,
            "system": system,
            "messages": [
                {
                    "role": "user",
                    "content": [{"type": "text", "text": q, "cache_control": {"type": "ephemeral"}}],
                }
            ],
        }
        total = ntok(req)
        rows.append(
            {"request": req, "response": anthropic_message(i, req["model"], anthropic_usage(0, 0, total))}
        )
    # model switch with the same conversation start
    req = {
        "model": "claude-opus-4-1-20250805",
        "max_tokens": 1024,
        "system": system,
        "messages": [{"role": "user", "content": [{"type": "text", "text": "Cancel order 7?"}]}],
    }
    rows.append(
        {"request": req, "response": anthropic_message(9, req["model"], anthropic_usage(ntok(req), 0, 0))}
    )
    # below minimum: a short prompt on a 4,096-token-minimum model
    for i in range(2):
        req = {
            "model": "claude-haiku-4-5",
            "max_tokens": 200,
            "system": [
                {"type": "text", "text": "Classify the sentiment.", "cache_control": {"type": "ephemeral"}}
            ],
            "messages": [{"role": "user", "content": f"text {i}: great product"}],
        }
        rows.append(
            {
                "request": req,
                "response": anthropic_message(20 + i, req["model"], anthropic_usage(ntok(req), 0, 0)),
            }
        )
    write("anthropic_messages.jsonl", rows)


def deepseek() -> None:
    rows: list[Any] = []
    report = "Quarterly report. " + POLICY
    for i, q in enumerate(
        ["Summarise the key points.", "Analyse profitability.", "Ratio of revenue to expenses?"]
    ):
        req = {
            "model": "deepseek-chat",
            "messages": [
                {"role": "system", "content": "You are an experienced financial report analyst."},
                {"role": "user", "content": report + "\n\n" + q},
            ],
        }
        prompt = ntok(req)
        hit = 0 if i < 2 else ntok({"x": report})
        rows.append(
            {
                "request": req,
                "response": {
                    "id": f"ds-{i}",
                    "model": "deepseek-chat",
                    "usage": {
                        "prompt_tokens": prompt,
                        "completion_tokens": 10,
                        "total_tokens": prompt + 10,
                        "prompt_cache_hit_tokens": hit,
                        "prompt_cache_miss_tokens": prompt - hit,
                    },
                },
            }
        )
    rows.append("{not json")
    rows.append({"request": {"model": "deepseek-chat", "prompt": "legacy completions"}})
    rows.append(
        {
            "model": "deepseek-chat",
            "messages": [
                {"role": "system", "content": "You are an experienced financial report analyst."},
                {"role": "user", "content": report + "\n\nA bare request body without usage."},
            ],
        }
    )
    write("deepseek_with_malformed.jsonl", rows)


if __name__ == "__main__":
    openai_timestamp()
    openai_conversation()
    openai_json_order()
    responses_id()
    anthropic()
    deepseek()
