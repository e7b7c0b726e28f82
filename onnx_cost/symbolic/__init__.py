"""The symbolic layer: free dims, the default binding, the counts as exact polynomials,
scaling sweeps (docs/architecture.md). Above the analyzer, which it runs at several bindings."""
