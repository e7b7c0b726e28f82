"""The views layer: pure Report -> View functions (QDQ fused, hardware, conventions, LLM,
diff, check's decisions), each in its own module or subpackage (docs/architecture.md)."""
