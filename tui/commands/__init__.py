"""One module per `aidxl` command group; each exposes `register(subparsers, common)`."""
