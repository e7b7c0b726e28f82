"""``onnx-cost check``: budgets, baselines and dim ranges decided exactly, as a CI gate.

expr (what is asked) -> config (the same in TOML) -> space (the model over its box) ->
boxmax (exact extremes of polynomials) -> decide (verdicts) -> run (the library call)
-> render (table, JSON, Markdown, JUnit, GitHub) -> cli. docs/ci.md explains it.
"""
