"""The render layer: a Report or a View as text (table, CSV, JSON, Markdown, HTML, viewer
overlays, plots), one module per format or view (docs/architecture.md)."""
