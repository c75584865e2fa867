"""Console scripts (cgs-init, cgs-import-units, …)."""
