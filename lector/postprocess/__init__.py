"""postprocess stage."""
