"""The model layer: what an analysis produces, as data (node records, ``Report``, ``Totals``,
the graph index, the byte sizes of ONNX types, the ``--json`` schema). It imports only the
rules and the root helpers (docs/architecture.md)."""
