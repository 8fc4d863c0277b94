"""The search index: what is searched, the word rules shared with the browser, the Lunr index
and its files, and the `search` command that queries a built site through node."""
