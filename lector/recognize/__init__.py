"""recognize stage."""
