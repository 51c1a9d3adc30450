"""Small helpers every learec component shares: typed config fields and atomic file writes."""
