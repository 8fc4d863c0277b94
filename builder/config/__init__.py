"""config.yml: the one list of settings, their kinds, loading with file:line errors, and the
reference page made from the list."""
