"""One module per `fomm` sub-command; each exposes `register(subparsers)`."""
