"""Rule sets, one module per jurisdiction and version. Never edit a released version."""
