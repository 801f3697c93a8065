"""The A1111 prompt language: attention parsing, tag view, rendering, linting, CLIP token counting,
infotext, and assembly in the model's order."""
