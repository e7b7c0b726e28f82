"""One module per peer tool: its counting convention as a family -> formula table."""
