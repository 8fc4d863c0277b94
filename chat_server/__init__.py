"""The chat sidecar: live chat, article ratings and failed-search reports, with an operator page."""
