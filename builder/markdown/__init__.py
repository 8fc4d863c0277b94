"""Markdown to HTML: the renderer and its rules (anchors, containers, raw HTML, highlighting),
the link checks, the plain text search reads, and the stage that renders every page in worker
processes."""
