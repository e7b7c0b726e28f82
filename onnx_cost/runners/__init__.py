"""The runners layer: what runs many analyses or onnxruntime itself (the batch pool,
``analyze_many``, ``--measure``, local calibration, the device sweep, ``check``, ``llm``), above
the api (docs/architecture.md)."""
