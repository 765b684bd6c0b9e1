"""Explain cache misses in real request/response logs (JSONL), streaming with bounded memory.

`normalise` turns one logged request (OpenAI chat, Responses, Anthropic messages, DeepSeek) into an
ordered list of prefix items plus usage counts; `diverge` finds where two requests first differ and
names the cause; `tracker` groups requests into conversations (LRU-bounded), estimates the expected
hit with the provider's rules and emits miss events; `report` streams text or JSON.
"""
