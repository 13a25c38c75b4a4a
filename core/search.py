"""Searching text fields for the words a person typed, the same way on every list.

On PostgreSQL this is full-text search (django.contrib.postgres.search): the fields are read as one English
document, so words are matched by their stem ("falling" finds "falls"), in any order, and the query is read the
way web search boxes read it (`websearch_to_tsquery`: "quoted phrases", `or`, `-word`). A query in that syntax
never fails: punctuation, SQL and markup are just text to it, and it is sent as a parameter, never as SQL.
Other databases (the SQLite demo) fall back to "the field contains the text", ignoring case.

`text_match` gives a Q, so a caller can combine it with other conditions (a list's clearance rule above all).
The expression is the same every time it is built for the same fields, so a functional index on it (a GIN index
on `to_tsvector('english', ...)`, see `search_vector`) serves the query.
"""

from django.db import connection
from django.db.models import Q

CONFIG = "english"


def full_text() -> bool:
    """Whether the database has full-text search (PostgreSQL)."""
    return connection.vendor == "postgresql"


def search_vector(*fields: str):
    """The document the fields make: to_tsvector('english', COALESCE(f1, '') || ' ' || COALESCE(f2, '') ...)."""
    from django.contrib.postgres.search import SearchVector

    return SearchVector(*fields, config=CONFIG)


def text_match(q: str, *fields: str) -> Q:
    """Rows whose fields hold the words of `q`: full-text on PostgreSQL, "contains" elsewhere. An empty `q`
    matches nothing (a caller leaves the filter out instead)."""
    q = (q or "").strip()
    if not q:
        return Q(pk__in=[])
    if full_text():
        from django.contrib.postgres.search import SearchQuery, SearchVectorExact

        return Q(SearchVectorExact(search_vector(*fields), SearchQuery(q, search_type="websearch", config=CONFIG)))
    match = Q()
    for field in fields:
        match |= Q(**{f"{field}__icontains": q})
    return match
