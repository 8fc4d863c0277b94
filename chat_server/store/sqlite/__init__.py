"""The SQLite fast path: one committer for every write, the connection pragmas, the message
write on the plain sqlite3 driver and the cache of conversation rows it keeps."""
