"""Explorer state that needs no screen: the prompt builder model and the adapters over `kb`."""
