"""fomm_studio.live."""
