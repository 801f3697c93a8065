"""Trigger discovery from weights: which candidate triggers a fine-tune's text encoders were trained on.

weights.py reads the token-embedding rows of a checkpoint; score.py ranks candidates by their
moved rows; drift.py measures CLIP-L's output drift for the best; store.py keeps the evidence
per trigger and model hash beside the recognition verdicts. See docs/discover.md.
"""
