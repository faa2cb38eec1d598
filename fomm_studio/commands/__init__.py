"""One module per `fomm` sub-command. Each exposes `register(subparsers)`, which adds its parser and
sets `func`, and `run(args) -> int`, which does the work; `fomm_studio.cli` turns a `FommError` from
`run` into one line on stderr and exit code 2."""
