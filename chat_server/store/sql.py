"""The store on SQLAlchemy 2 Core: SQLite (aiosqlite, one committer) or PostgreSQL (asyncpg).

The queries live in groups by what they are about (people, sessions, feedback, messages,
teamwork, operator sockets, tags, customers, tokens, conversation search, article views),
each on the shared base in store/queries.py; this class joins them and adds the schema's
migrations.
"""

from __future__ import annotations

from chat_server.store import migrations
from chat_server.store.article_views import ArticleViewQueries
from chat_server.store.conversation_search import ConversationSearchQueries
from chat_server.store.customers import CustomerQueries
from chat_server.store.feedback import FeedbackQueries
from chat_server.store.messages import MessageQueries
from chat_server.store.operator_sockets import SocketQueries
from chat_server.store.people import PeopleQueries
from chat_server.store.sessions import SessionQueries
from chat_server.store.tagging import TagQueries
from chat_server.store.teamwork import TeamQueries
from chat_server.store.tokens import TokenQueries


class SqlStore(PeopleQueries, SessionQueries, FeedbackQueries, MessageQueries, TeamQueries,
               SocketQueries, TagQueries, CustomerQueries, TokenQueries,
               ConversationSearchQueries, ArticleViewQueries):
    async def migrate(self) -> list[int]:
        return await self._transaction(migrations.migrate)

    async def close(self) -> None:
        if self._committer is not None:
            await self._committer.close()
        await self.engine.dispose()
