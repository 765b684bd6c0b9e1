"""Cache simulation: provider cache models replayed over synthetic requests rendered from the IR.

`models` holds one module per provider (DeepSeek, OpenAI, Anthropic, vLLM); `synth` renders requests
with synthetic slot values; `whatif` moves per-request slots to the end; `run` ties them together and
`report` prints tables, JSON and HTML. Nothing here runs user code.
"""
