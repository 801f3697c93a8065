"""SDXL preview generation: model loading, A1111-weighted prompt encoding, samplers, the engine,
the preview cache and PNG metadata. Settings come from `kb.settings` (the sampler table, defaults)
and the config file (`config`); see docs/generation.md for a module-by-module map.

torch, diffusers and transformers are imported only inside the functions that generate, so the
cache and metadata modules serve the TUI and sheets without loading them.
"""
