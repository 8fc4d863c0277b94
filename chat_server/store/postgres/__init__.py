"""The PostgreSQL fast path: the message write as one statement on the asyncpg driver."""
