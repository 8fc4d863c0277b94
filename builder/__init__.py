"""The help center's site generator: config and content in, a static site out."""
