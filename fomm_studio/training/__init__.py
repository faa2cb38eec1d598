"""fomm_studio.training."""
