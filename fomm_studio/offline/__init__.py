"""fomm_studio.offline."""
