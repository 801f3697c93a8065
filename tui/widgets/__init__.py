"""Widgets of the explorer; styles live in tui/app.tcss."""
