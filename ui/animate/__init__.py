"""ui.animate."""
