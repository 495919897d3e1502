"""Helpers over the ORM for the counter's hot path: reading a row by its unique key, and the
queries and inserts the counter sends at every request, built by the ORM once per connection and
then sent again with new values (ADR 0013)."""
from __future__ import annotations

from collections.abc import Callable
from itertools import chain
from typing import Any, Generic, TypeVar

from django.core.exceptions import EmptyResultSet, FieldDoesNotExist
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import BigIntegerField, Expression, IntegerField, Model, QuerySet
from django.db.models.base import ModelState
from django.db.models.signals import post_init, pre_init
from django.db.models.sql.constants import MULTI
from django.db.models.sql.subqueries import InsertQuery, UpdateQuery
from django.db.transaction import TransactionManagementError

M = TypeVar("M", bound=Model)


def unique_row(queryset: QuerySet[M]) -> M | None:
    """The row a filter on a unique key picks, or None.

    `.first()` orders by the primary key to choose among several rows; where there can be at
    most one, that ORDER BY is only cost — Django builds it into the SQL at every call, and on
    the close it was a tenth of a millisecond per lookup."""
    rows = list(queryset[:1])
    return rows[0] if rows else None


class _OutOfRange(Exception):
    """An integer beyond its column's range: it can equal no row."""


class Param(Expression):
    """A value a reused query is sent with, named: `filter(id=Param("bill_id"))`. Its
    `output_field` (an id's, by default) turns the value into what the database takes (a date
    on SQLite is text), as the ORM does for a value written into a filter.

    An integer beyond the column's range matches nothing, as the ORM's lookups make it (an id
    typed into a URL can be any length: the database would refuse it, and the counter would
    answer 500 instead of "not found"). Params are used for equality and `__in` only, where
    that is the answer."""

    def __init__(self, name: str, output_field=None):
        super().__init__(output_field=output_field or BigIntegerField())
        self.name = name
        self._ranges: dict[str, tuple[int | None, int | None]] = {}  # the column's range, by vendor

    def as_sql(self, compiler, connection):
        return "%s", [self]

    def bind(self, values: dict[str, Any], connection) -> Any:
        return self._prepared(values[self.name], connection)

    def _prepared(self, value, connection):
        prepared = self.output_field.get_db_prep_value(value, connection)
        if isinstance(prepared, int) and isinstance(self.output_field, IntegerField):
            low, high = self._range(connection)
            if (low is not None and prepared < low) or (high is not None and prepared > high):
                raise _OutOfRange
        return prepared

    def _range(self, connection) -> tuple[int | None, int | None]:
        # The column's range on a database does not change: asked once per vendor.
        if connection.vendor not in self._ranges:
            self._ranges[connection.vendor] = connection.ops.integer_field_range(self.output_field.get_internal_type())
        return self._ranges[connection.vendor]


def params(name: str, size: int, output_field=None) -> list[Param]:
    """`size` values of a list, for `__in`: `code__in=params("codes", size)`."""
    return [_ListItem(name, i, output_field) for i in range(size)]


class _ListItem(Param):
    def __init__(self, name: str, index: int, output_field=None):
        super().__init__(name, output_field)
        self.index = index

    def bind(self, values: dict[str, Any], connection) -> Any:
        return self._prepared(values[self.name][self.index], connection)


class _PerConnection:
    """What a reused statement keeps: one compiled form per connection (Django's connections
    are per thread) and per length of each list it is sent with."""

    def __init__(self, build: Callable[..., QuerySet]):
        self._build = build
        self._alias: str | None = None

    def _kept(self, lengths: dict[str, int], compile: Callable[[QuerySet, str], Any]):
        queryset = None
        if self._alias is None:  # the database the ORM routes it to (one, for this project)
            queryset = self._build(**lengths)
            self._alias = queryset.db
        kept = connections[self._alias].__dict__.setdefault("glowpos_reused", {})
        key = (self, tuple(sorted(lengths.items())))
        if key not in kept:
            kept[key] = compile(queryset if queryset is not None else self._build(**lengths), self._alias)
        return kept[key]


class Reused(_PerConnection, Generic[M]):
    """A query the counter sends at every request, built once per connection.

    Building a query is most of what the ORM costs: a bill's lock took 1.8 ms of Python to
    build, compile and read on the close's machine, of which 0.4 ms is sending it and making
    the bill from its row. A `Reused` query is built by `build` (a QuerySet whose changing
    values are `Param`s) the first time a connection sends it; its SQL and its compiler — which
    knows how to turn the rows into models, with their select_related, or into values — are
    kept on that connection, and every later call sends the same SQL with the new values.

    A list (`__in`) gives one query per length: `build` takes the lengths by name
    (`lambda codes: …params("codes", codes)…`) and is called once per length seen.

    `build` must not read anything but its lengths: whatever else it used would be kept from
    the first call (tests/core/test_reused_queries.py)."""

    def all(self, **values) -> list:
        return self._kept(_lengths(values), _Compiled).fetch(values)

    def first(self, **values):
        rows = self.all(**values)
        return rows[0] if rows else None


def _sent(connection, sql: str, params: tuple):
    """Send a kept statement on the connection's own DB-API cursor kept for that statement,
    and return that cursor; None when Django's cursor must carry it.

    Django's cursor around each statement (opening it, its wrapper, checking the thread, the
    query log) was a twelfth of a visit's Python. What of it matters is kept here: a broken
    transaction is refused, and the database's errors become Django's (IntegrityError …) as
    they would. Django's cursor still carries the statement when its query log is on (DEBUG,
    or a test counting statements), when an execute wrapper is installed, or while the
    request's health check of a kept connection is still to run (it runs on Django's first
    cursor of a request) — and when the connection is not open yet."""
    raw = connection.connection
    if (raw is None or connection.queries_logged or connection.execute_wrappers
            or (connection.health_check_enabled and not connection.health_check_done)):
        return None
    kept = connection.__dict__.get("glowpos_cursors")
    if kept is None or kept[0] is not raw:  # per DB-API connection: a new one gets its own
        kept = connection.__dict__["glowpos_cursors"] = (raw, {})
    # One cursor per statement: psycopg keeps a cursor's adapters (how each value is written
    # and read) while it sends the same statement again, and makes them anew otherwise.
    cursor = kept[1].get(sql)
    if cursor is None:
        cursor = kept[1][sql] = connection.create_cursor()
    connection.validate_no_broken_transaction()
    with connection.wrap_database_errors:
        cursor.execute(sql, params)
    return cursor


class ReusedUpdate(_PerConnection):
    """An UPDATE the counter sends at every request, built once per connection:
    `ReusedUpdate(lambda: Entitlement.objects.filter(id=Param("id")), held_units=F("held_units") + 1)`.
    `run(**values)` returns the number of rows changed."""

    def __init__(self, build: Callable[[], QuerySet], **changes):
        super().__init__(build)
        self._changes = changes

    def run(self, **values) -> int:
        sql, template = self._kept({}, self._compile)
        connection = connections[self._alias]
        try:
            bound = template.bind(values, connection)
        except _OutOfRange:
            return 0
        cursor = _sent(connection, sql, bound)
        if cursor is not None:
            return cursor.rowcount
        with connection.cursor() as cursor:
            cursor.execute(sql, bound)
            return cursor.rowcount

    def _compile(self, queryset: QuerySet, alias: str) -> tuple[str, _Template]:
        query = queryset.query.chain(UpdateQuery)
        query.add_update_values(self._changes)
        compiler = query.get_compiler(alias)
        compiler.pre_sql_setup()  # one table: sets nothing up but the alias
        sql, params = compiler.as_sql()
        return sql, _Template(params)


def _lengths(values: dict) -> dict[str, int]:
    return {name: len(v) for name, v in values.items() if isinstance(v, (list, tuple, set, frozenset))}


class _Template:
    """A compiled statement's parameters: values written in by the build, and the `Param`s
    each call fills in. The names it is sent with are known once compiled."""

    def __init__(self, params):
        self.params = tuple(params)
        self.names = frozenset(p.name for p in self.params if isinstance(p, Param))

    def bind(self, values: dict, connection) -> tuple:
        if values.keys() != self.names:
            # A list sent empty has no Param in the SQL (an `__in` of nothing was left out).
            unknown = {name for name in values.keys() - self.names if _lengths({name: values[name]}).get(name) != 0}
            if unknown or self.names - values.keys():
                raise TypeError(f"this statement is sent with {sorted(self.names)}, not {sorted(values)}")
        return tuple(p.bind(values, connection) if isinstance(p, Param) else p for p in self.params)


class _Compiled:
    """One reused query on one connection: its SQL, its parameters (values or `Param`s) and the
    compiler that built them, which reads the rows as the ORM would."""

    def __init__(self, queryset: QuerySet, alias: str):
        compiler = queryset.query.get_compiler(using=alias)
        try:
            self.sql, params = compiler.as_sql()
        except EmptyResultSet:  # e.g. `__in` an empty list: the ORM reads nothing, and so does this
            self.sql, params = "", ()
        self.template = _Template(params)
        self.connection = compiler.connection
        self.locks = queryset.query.select_for_update and self.connection.features.has_select_for_update
        self.bound: tuple = ()
        # The compiler answers with the kept SQL and this call's values; its select and its
        # related-object layout, set up by the build, stay as they were, and so do the
        # converters of its columns and whether any is composite (asked again at every read
        # otherwise: a fortieth of a visit went to asking the second).
        compiler.as_sql = lambda *args, **kwargs: (self.sql, self.bound)
        if self.sql:
            columns = [s[0] for s in compiler.select[0:compiler.col_count]]
            converters, composite = compiler.get_converters(columns), compiler.has_composite_fields(columns)
            compiler.get_converters = lambda expressions: converters
            compiler.has_composite_fields = lambda expressions: composite
        queryset.query.get_compiler = lambda *args, **kwargs: compiler
        # The rows are read on the kept cursor (_sent), all at once, as Django's non-chunked
        # read gives them: one chunk, each row cut to the selected columns.
        read_by_django, cut = compiler.execute_sql, compiler.col_count if compiler.has_extra_select else None

        def execute_sql(result_type=MULTI, *args, **kwargs):
            cursor = _sent(self.connection, self.sql, self.bound) if result_type == MULTI and self.sql else None
            if cursor is None:
                return read_by_django(result_type, *args, **kwargs)
            with self.connection.wrap_database_errors:
                rows = cursor.fetchall()
            return [rows if cut is None else [row[:cut] for row in rows]]

        compiler.execute_sql = execute_sql
        if queryset._prefetch_related_lookups:  # fetch() reads the rows only, as _fetch_all's first half
            raise ValueError("a reused query cannot prefetch_related: read the related rows in their own")
        self.queryset = queryset

    def fetch(self, values: dict) -> list:
        if not self.sql:
            return []
        if self.locks and self.connection.get_autocommit():
            raise TransactionManagementError("select_for_update cannot be used outside of a transaction.")
        try:
            self.bound = self.template.bind(values, self.connection)
        except _OutOfRange:
            return []
        # The queryset's own iterable, as QuerySet._fetch_all makes it, without a copy of the
        # queryset first (`_chain`: a twentieth of a visit's Python) — nothing is cached on it.
        return list(self.queryset._iterable_class(self.queryset))


class MadeFromRows:
    """A model whose rows read from the database become instances without `Model.__init__`:
    each read value is set as `__init__` sets it from a row (the attribute of its field, a
    deferred field left out), the instance is marked saved and from its database, as
    `Model.from_db` marks it — and no more: `__init__`'s work for keyword arguments, defaults
    and related objects does not apply to a row. A twelfth of a visit's Python went there (some
    thirty rows a visit). While a `pre_init` or `post_init` receiver is connected (none is in
    GlowPOS), rows are made by `__init__` as always, so the receiver sees every instance."""

    @classmethod
    def from_db(cls, db, field_names, values):
        if pre_init.receivers or post_init.receivers:
            return super().from_db(db, field_names, values)
        new = cls.__new__(cls)
        new.__dict__.update(zip(field_names, values))
        new._state = state = ModelState()
        state.adding, state.db = False, db
        return new


class InsertsReusedQuerySet(QuerySet):
    """`bulk_create` of an `InsertsReused` model: its INSERT of so many rows is compiled once per
    connection, like a single row's (ADR 0013); everything else about `bulk_create` is the ORM's."""

    def _insert(self, objs, fields, returning_fields=None, raw=False, using=None, **conflicts):
        using = using or self.db
        if not raw and not any(conflicts.values()):
            rows = _insert_reused(self.model, objs, fields, returning_fields, using)
            if rows is not None:
                return rows
        return super()._insert(objs, fields, returning_fields=returning_fields, raw=raw, using=using, **conflicts)


_SLOW = object()  # a class whose new instances need Model.__init__ itself
_BY_DESCRIPTOR = object()  # a field of the plan set through its descriptor (a one-to-one)


def _new_instance_plan(model) -> tuple | object:
    """How `InsertsReused.__init__` sets each field from keyword arguments: (name, attname,
    default, related), `related` being the related model and its key's attribute for a
    many-to-one given as an object, `_BY_DESCRIPTOR` for a field set through its descriptor (a
    one-to-one keeps the reverse side's cache), None for a plain value. `_SLOW` when a field or
    the database set-up needs `Model.__init__`'s own handling."""
    from django.conf import settings
    from django.db.models import ForeignKey, OneToOneField

    if settings.DATABASE_ROUTERS:
        return _SLOW
    plan = []
    for field in model._meta.fields:  # Model.__init__ walks these, in this order
        if field.column is None or field.generated:
            return _SLOW
        related = None
        if isinstance(field, OneToOneField):
            related = _BY_DESCRIPTOR
        elif isinstance(field, ForeignKey):
            if len(field.related_fields) != 1:
                return _SLOW
            related = (field.remote_field.model._meta.concrete_model, field.related_fields[0][1].attname)
        elif field.is_relation:
            return _SLOW
        elif hasattr(type(model.__dict__.get(field.attname)), "__set__"):
            return _SLOW  # a field whose descriptor does work on assignment (a file, say)
        plan.append((field.name, field.attname, field._get_default, related))
    return tuple(plan)


class InsertsReused(MadeFromRows, Model):
    """A model whose INSERT is compiled once per connection and then sent again with each new
    row's values (ADR 0013), for the rows the counter writes at every visit.

    Saving is unchanged: `save()`, `create()` and `bulk_create()`, the model's own `save()`,
    `pre_save`/`post_save`, and every field's `pre_save` (an `auto_now_add` stamps the row) and
    its conversion for the database run as they would; only the building and compiling of the
    INSERT is done once. Rows whose values are not plain — an expression, a database default,
    a raw save (fixtures), an upsert — are inserted by the ORM as always: their SQL is not the
    kept one."""

    objects = InsertsReusedQuerySet.as_manager()

    class Meta:
        abstract = True

    def __init__(self, *args, **kwargs):
        """A new row from keyword arguments, as `Model.__init__` makes it — each field's value,
        its attribute from a related object (which is cached, as its descriptor caches it) or
        its default, a settable property, the same TypeError for an unknown name — without its
        general path's per-field checks (a twelfth of a close's Python; ADR 0014). Positional
        arguments, a connected `pre_init`/`post_init` receiver or a field it does not handle go
        to `Model.__init__`."""
        cls = type(self)
        plan = cls.__dict__.get("_glowpos_new_plan")
        if plan is None:
            plan = _new_instance_plan(cls)
            setattr(cls, "_glowpos_new_plan", plan)
        if args or plan is _SLOW or pre_init.receivers or post_init.receivers:
            super().__init__(*args, **kwargs)
            return
        self._state = state = ModelState()
        values = self.__dict__
        for name, attname, default, related in plan:
            if related is not None and name in kwargs:
                value = kwargs.pop(name)
                if related is _BY_DESCRIPTOR:
                    setattr(self, name, value)
                    continue
                if value is not None:
                    if not isinstance(value, related[0]):
                        raise ValueError(f'Cannot assign "{value!r}": "{cls.__name__}.{name}" must be a '
                                         f'"{related[0]._meta.object_name}" instance.')
                    if state.db is None:  # as the descriptor's router call does, on one database
                        state.db = value._state.db or DEFAULT_DB_ALIAS
                    if value._state.db is None:
                        value._state.db = state.db
                    values[attname] = getattr(value, related[1])
                else:
                    values[attname] = None
                state.fields_cache[name] = value
            elif attname in kwargs:
                values[attname] = kwargs.pop(attname)
            else:
                values[attname] = default()
        if kwargs:  # what is left must be a property or a field by another name, as there
            unexpected = []
            for name, value in kwargs.items():
                if name not in cls._meta._property_names:
                    try:
                        cls._meta.get_field(name)
                    except FieldDoesNotExist:
                        unexpected.append(name)
                        continue
                setattr(self, name, value)
            if unexpected:
                names = ", ".join(repr(name) for name in unexpected)
                raise TypeError(f"{cls.__name__}() got unexpected keyword arguments: {names}")

    def _do_insert(self, manager, using, fields, returning_fields, raw):
        rows = None if raw else _insert_reused(type(self), [self], fields, returning_fields, using)
        return rows if rows is not None else super()._do_insert(manager, using, fields, returning_fields, raw)


def _insert_reused(model, objs: list, fields, returning_fields, using: str) -> list | None:
    """The rows' INSERT through the kept statement (the returned columns, as the ORM's compiler
    gives them), or None if these rows cannot use it."""
    if not objs:
        return None
    kept = connections[using].__dict__.setdefault("glowpos_reused", {})
    key = (_CompiledInsert, model, tuple(fields), tuple(returning_fields or ()), len(objs))
    insert = kept.get(key)
    if insert is None:
        insert = _CompiledInsert(model, objs, using, fields, returning_fields)
        if insert.reusable:
            kept[key] = insert
        return insert.first_rows
    return insert.execute(objs)


class _CompiledInsert:
    """One model's INSERT of so many rows on one connection, compiled by the ORM with the first
    rows sent through it. Later rows get their values as the ORM's compiler gets them (each
    field's `pre_save`, then its value for the database), laid out as the compiler laid out the
    first rows' (row after row, or — PostgreSQL's UNNEST of several rows — column after column),
    and the kept compiler sends them and reads back the returned columns (the new ids) as the
    ORM does."""

    def __init__(self, model, objs: list, alias: str, fields, returning_fields):
        self.compiler = compiler = _query(model, objs, fields).get_compiler(using=alias)
        self.fields, self.returning_fields = fields, returning_fields
        compiler.returning_fields = returning_fields
        prepare, prepared = compiler.prepare_value, []
        compiler.prepare_value = lambda *args: prepared.append(prepare(*args)) or prepared[-1]
        statements = compiler.as_sql()  # each field's pre_save runs here, once, as in the ORM's insert
        del compiler.prepare_value
        self.sql, self.bound = statements[0]
        self.returning_params = tuple(getattr(compiler, "returning_params", ()) if returning_fields else ())
        # Kept only if the SQL is one statement whose parameters are these rows' values, in one
        # of the two layouts, and nothing else: then a later row's values can be sent in it.
        rows = [prepared[i:i + len(fields)] for i in range(0, len(prepared), len(fields))]
        by_row, by_column = self._bound(rows, by_column=False), self._bound(rows, by_column=True)
        self.by_column = len(objs) > 1 and self.bound == by_column
        self.reusable = (len(statements) == 1 and not any(hasattr(f, "get_placeholder") for f in fields)
                         and self.bound in (by_row, by_column))
        compiler.as_sql = lambda *args, **kwargs: statements  # these rows: the statements just compiled
        self.first_rows = compiler.execute_sql(returning_fields)
        compiler.as_sql = lambda *args, **kwargs: [(self.sql, self.bound)]  # later rows: their values
        # Later rows are sent on the kept cursor (_sent) where the database returns the new
        # rows' columns from the INSERT itself, and read back as the compiler reads them.
        features = compiler.connection.features
        self.sendable = not returning_fields or (
            features.can_return_rows_from_bulk_insert if len(objs) > 1 else features.can_return_columns_from_insert)
        columns = [f.get_col(model._meta.db_table) for f in returning_fields or ()]
        self.converters = compiler.get_converters(columns)

    def _bound(self, rows: list[list], *, by_column: bool) -> tuple:
        values = tuple(list(column) for column in zip(*rows)) if by_column else tuple(chain.from_iterable(rows))
        return values + self.returning_params

    def execute(self, objs: list) -> list:
        compiler = self.compiler
        rows = [[compiler.prepare_value(f, compiler.pre_save_val(f, obj)) for f in self.fields] for obj in objs]
        if any(hasattr(value, "as_sql") for row in rows for value in row):  # an expression: not this SQL
            return _query(type(objs[0]), objs, self.fields).get_compiler(using=compiler.using).execute_sql(
                self.returning_fields)
        compiler.query.objs, self.bound = objs, self._bound(rows, by_column=self.by_column)
        cursor = _sent(compiler.connection, self.sql, self.bound) if self.sendable else None
        if cursor is None:
            return compiler.execute_sql(self.returning_fields)
        if not self.returning_fields:
            return []
        ops = compiler.connection.ops
        with compiler.connection.wrap_database_errors:
            returned = (ops.fetch_returned_insert_rows(cursor) if len(objs) > 1
                        else [ops.fetch_returned_insert_columns(cursor, self.returning_params)])
        return list(compiler.apply_converters(returned, self.converters) if self.converters else returned)


def _query(model, objs: list, fields) -> InsertQuery:
    query = InsertQuery(model)
    query.insert_values(fields, objs)
    return query
