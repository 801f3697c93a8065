"""Modal and full screens of the explorer (help, missing catalog, text entry, settings, pickers)."""
