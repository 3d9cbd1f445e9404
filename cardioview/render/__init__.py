"""Headless drawing in numpy and Pillow (no OpenCV: the clinical bundle leaves it out): attention overlays,
colormaps and annotated PNG reports.

Shared by the CLI (``cardioview predict`` writes reports) and the Qt viewer
(which reuses the colormap tables, :func:`overlay.blend` and the report export).
"""
