"""``json_array_values(column)``: the elements of a JSON array of strings, as a table with one
column ``value`` (``json_each`` on SQLite, ``json_array_elements_text`` on PostgreSQL), so one
statement serves both databases."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement


class json_array_values(FunctionElement[Any]):
    inherit_cache = True
    name = "json_array_values"


@compiles(json_array_values, "postgresql")
def _postgresql(element: json_array_values, compiler: SQLCompiler, **kw: Any) -> str:
    return f"json_array_elements_text({compiler.process(element.clauses, **kw)})"


@compiles(json_array_values, "sqlite")
def _sqlite(element: json_array_values, compiler: SQLCompiler, **kw: Any) -> str:
    return f"json_each({compiler.process(element.clauses, **kw)})"
