"""The front door: the `aidxl` command line and the Textual explorer."""
