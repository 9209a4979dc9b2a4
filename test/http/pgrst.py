#!/usr/bin/python3
"""A stand-in for PostgREST v12, so that tests reach the database exactly as PostgREST would.

PostgREST cannot be installed here. This server answers HTTP the way PostgREST 12 does and sends
the database the same transaction for each request:

    BEGIN ISOLATION LEVEL READ COMMITTED READ ONLY | READ WRITE
    select set_config('search_path', ...), set_config('role', ...), set_config('request.*', ...)
    select "schema"."pre_request"()
    WITH pgrst_source AS (<main query>) SELECT ..., current_setting('response.headers'), ...
    COMMIT                                  (ROLLBACK after any error)

on a connection of a pool that logs in as the authenticator and is reused across requests.
It covers what the tests need: RPC (POST with a JSON body, GET with query parameters), GET and
HEAD on tables and views with simple filters, HS256 JWTs, PostgREST's errors and status codes, and
Accept negotiation with media type handlers: a function returning a domain named after a media type
("text/html", "image/svg+xml") answers a request whose Accept names that type with its text as the
body and the type as Content-Type; application/json, */* or no Accept get JSON; 406 when nothing
the endpoint produces is acceptable.

Left out of PostgREST, and answered with an error or ignored: OpenAPI at / (404), OPTIONS (405),
resource embedding, and/or, columns, on_conflict, JSON-path columns and full-text operators in
query strings (PGRST100), bodies other than JSON (PGRST102), Range and Prefer headers (ignored), the
builtin handlers of text/csv, text/plain, application/octet-stream and the vnd.pgrst types (406
here), handlers of tables, views and aggregates and the "*/*" domain handler, role and function settings hoisted into the transaction, retries after a
serialization failure, JWKs and audience checks (HMAC secrets only). Writes to views answer 405
here, where PostgREST attempts them. Bodies over 10 MB answer 413.

Configuration comes from postgrest.conf's keys as PGRST_* environment variables (see
config_from_env). Usage: pgrst.py --port 0 --port-file FILE [--pid-file FILE] [--log FILE] [--daemon]
"""

import argparse
import base64
import contextlib
import difflib
import hashlib
import hmac
import http.server
import json
import os
import queue
import re
import signal
import sys
import threading
import time
import traceback
from dataclasses import dataclass
from urllib.parse import parse_qsl, unquote, urlsplit

import psycopg

VERSION = "12.2.12"
MAX_BODY = 10 * 1024 * 1024
JSON_TYPE = "application/json; charset=utf-8"
JWT_SKEW = 30  # seconds PostgREST tolerates on exp, nbf and iat


# ---------------------------------------------------------------------------------------------
# Errors


class ApiError(Exception):
    """Any answer but a success: PostgREST's status, JSON body and extra headers."""

    def __init__(self, status, body, headers=(), reason=None):
        super().__init__(body.get("message"))
        self.status = status
        self.body = body
        self.headers = list(headers)
        self.reason = reason


def pgrst_error(status, code, message, details=None, hint=None, headers=()):
    """PostgREST's own errors have PostgreSQL's four fields."""
    body = {"code": code, "message": message, "details": details, "hint": hint}
    return ApiError(status, body, headers)


def not_found():
    """PostgREST answers an unknown path with 404 and an empty object."""
    return ApiError(404, {})


def harness_limit(status, code, message):
    """What PostgREST would do but this harness does not: an error saying so."""
    return pgrst_error(status, code, message, "not implemented by the test harness (test/http/pgrst.py)")


# PostgreSQL error code (or its prefix) -> HTTP status, in PostgREST's order of precedence
SQLSTATE_STATUS = [
    ("08", 503), ("09", 500), ("0L", 403), ("0P", 403), ("23503", 409), ("23505", 409),
    ("25006", 405), ("25", 500), ("28", 403), ("2D", 500), ("38", 500), ("39", 500), ("3B", 500),
    ("40", 500), ("53400", 500), ("53", 503), ("54", 500), ("55", 500), ("57P01", 503),
    ("57", 500), ("58", 500), ("F0", 500), ("HV", 500), ("P0001", 400), ("P0", 500), ("XX", 500),
    ("42883", 404), ("42P01", 404), ("42P17", 500),
]


def sqlstate_status(code, message, authenticated):
    """PostgREST's HTTP status for a PostgreSQL error (docs: references/errors)."""
    if code == "21000":
        return 400 if message.endswith("requires a WHERE clause") else 500
    if code == "42883" and message.startswith("function xmlagg("):
        return 406
    if code == "42501":
        return 403 if authenticated else 401
    if code.startswith("PT"):
        return int(code[2:]) if code[2:].isdigit() else 500
    for prefix, status in SQLSTATE_STATUS:
        if code.startswith(prefix):
            return status
    return 400


def database_error(exc, authenticated):
    """PostgREST's answer to an error of the database or of the connection to it."""
    diag = exc.diag
    if diag.sqlstate is None:
        return pgrst_error(503, "PGRST001", "Database client error. Retrying the connection.", str(exc).strip())
    code, message = diag.sqlstate, diag.message_primary or ""
    if code == "PGRST":
        return raised_response(message, diag.message_detail)
    status = sqlstate_status(code, message, authenticated)
    body = {"code": code, "message": message, "details": diag.message_detail, "hint": diag.message_hint}
    headers = [("WWW-Authenticate", "Bearer")] if status == 401 else []
    return ApiError(status, body, headers, message if code.startswith("PT") else None)


def raised_response(message, detail):
    """RAISE SQLSTATE 'PGRST': the message is the body, the detail the status and headers."""
    doc = decode_json(message)
    if not (isinstance(doc, dict) and all(isinstance(doc.get(k), str) for k in ("code", "message"))
            and all(isinstance(doc.get(k), (str, type(None))) for k in ("details", "hint"))):
        return pgrst_error(
            500, "PGRST121", "Could not parse JSON in the \"RAISE SQLSTATE 'PGRST'\" error",
            f"Invalid JSON value for MESSAGE: '{message}'",
            "MESSAGE must be a JSON object with obligatory keys: 'code', 'message' and optional keys: 'details', 'hint'.")
    det = decode_json(detail) if detail is not None else INVALID
    if not (isinstance(det, dict) and type(det.get("status")) is int
            and isinstance(det.get("headers"), dict) and all(isinstance(v, str) for v in det["headers"].values())
            and isinstance(det.get("status_text", ""), str)):
        return pgrst_error(
            500, "PGRST121", "Could not parse JSON in the \"RAISE SQLSTATE 'PGRST'\" error",
            "DETAIL is missing in the RAISE statement" if detail is None else f"Invalid JSON value for DETAIL: '{detail}'",
            "DETAIL must be a JSON object with obligatory keys: 'status', 'headers' and optional key: 'status_text'.")
    body = {"code": doc["code"], "message": doc["message"], "details": doc.get("details"), "hint": doc.get("hint")}
    return ApiError(det["status"], body, det["headers"].items(), det.get("status_text"))


INVALID = object()


def decode_json(text):
    """Strict JSON (no NaN or Infinity, which PostgREST's parser refuses), INVALID when it is not JSON."""
    try:
        return json.loads(text, parse_constant=reject_constant)
    except ValueError:
        return INVALID


def reject_constant(name):
    """json.loads accepts NaN and Infinity; PostgREST's parser does not."""
    raise ValueError(f"not JSON: {name}")


# ---------------------------------------------------------------------------------------------
# Configuration


@dataclass(frozen=True)
class Config:
    """The postgrest.conf keys the harness honours."""

    db_uri: str
    schemas: tuple
    anon_role: str
    pre_request: str
    extra_search_path: tuple
    jwt_secret: str
    role_claim: tuple
    pool_size: int
    pool_timeout: float
    max_rows: int | None


def config_from_env(env):
    """Reads PGRST_* like PostgREST reads its environment, refusing what PostgREST refuses."""
    if not env.get("PGRST_DB_URI"):
        raise ValueError("PGRST_DB_URI is required")
    secret = env.get("PGRST_JWT_SECRET", "")
    if secret and len(secret) < 32:
        raise ValueError("The JWT secret must be at least 32 characters long.")
    schemas = comma_list(env.get("PGRST_DB_SCHEMAS", "experiments_api"))
    if not schemas:
        raise ValueError("PGRST_DB_SCHEMAS names no schema")
    max_rows = env.get("PGRST_DB_MAX_ROWS", "")
    return Config(
        db_uri=env["PGRST_DB_URI"],
        schemas=tuple(schemas),
        anon_role=env.get("PGRST_DB_ANON_ROLE", "experiments_anon"),
        pre_request=env.get("PGRST_DB_PRE_REQUEST", "experiments.authenticate_request"),
        extra_search_path=tuple(comma_list(env.get("PGRST_DB_EXTRA_SEARCH_PATH", "experiments"))),
        jwt_secret=secret,
        role_claim=tuple(parse_jspath(env.get("PGRST_JWT_ROLE_CLAIM_KEY", ".role"))),
        pool_size=int(env.get("PGRST_DB_POOL", "4")),
        pool_timeout=float(env.get("PGRST_DB_POOL_ACQUISITION_TIMEOUT", "10")),
        max_rows=int(max_rows) if max_rows else None,
    )


def comma_list(value):
    """PostgREST's list settings are comma separated."""
    return [item.strip() for item in value.split(",") if item.strip()]


JSPATH_STEP = re.compile(r'\.(?:"([^"]*)"|([^."\[\]]+))|\[(\d+)\]')


def parse_jspath(path):
    """jwt-role-claim-key (.role, ."https://x".role, .roles[0]) as keys and indexes."""
    steps, pos = [], 0
    while pos < len(path):
        m = JSPATH_STEP.match(path, pos)
        if not m:
            raise ValueError(f"invalid PGRST_JWT_ROLE_CLAIM_KEY: {path}")
        steps.append(int(m[3]) if m[3] is not None else m[1] if m[1] is not None else m[2])
        pos = m.end()
    return steps


def qualified(name):
    """A schema-qualified name of the configuration ("s.f") as SQL, like PostgREST's identifiers."""
    return ".".join(ident(part) for part in name.split(".", 1))


def quote_ident(name):
    """A quoted SQL identifier, cut at NUL as PostgREST cuts it."""
    return '"' + name.split("\0", 1)[0].replace('"', '""') + '"'


def ident(name):
    """quote_ident for query text, where psycopg reads '%' as the start of a placeholder."""
    return quote_ident(name).replace("%", "%%")


# ---------------------------------------------------------------------------------------------
# Authentication


HMAC_DIGESTS = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}
MISSING = object()


def authenticate(cfg, authorization, now):
    """The role and claims of a request, from its bearer token, as PostgREST's JWT middleware."""
    token = ""
    scheme, _, rest = (authorization or "").strip().partition(" ")
    if scheme.lower() == "bearer":
        token = rest.strip()
    claims = jwt_claims(token, cfg.jwt_secret, now) if token else {}
    role = walk(claims, cfg.role_claim)
    if role is MISSING:
        role = cfg.anon_role
    elif not isinstance(role, str):
        role = json.dumps(role, separators=(",", ":"))
    if not role:
        raise pgrst_error(401, "PGRST302", "Anonymous access is disabled", headers=[("WWW-Authenticate", "Bearer")])
    return role, {**claims, "role": role}


def walk(value, steps):
    """Follows the role claim key into the claims."""
    for step in steps:
        if isinstance(step, int) and isinstance(value, list) and step < len(value):
            value = value[step]
        elif isinstance(step, str) and isinstance(value, dict) and step in value:
            value = value[step]
        else:
            return MISSING
    return value


def jwt_claims(token, secret, now):
    """The claims of a token PostgREST accepts (HMAC signature, exp, nbf, iat), else PGRST300/301."""
    if not secret:
        raise pgrst_error(500, "PGRST300", "Server lacks JWT secret")
    parts = token.split(".")
    if len(parts) != 3:
        raise invalid_token(f"JWSError (CompactDecodeError Invalid number of parts: Expected 3 parts; got {len(parts)})")
    try:
        header = json.loads(b64url_decode(parts[0]))
        claims = json.loads(b64url_decode(parts[1]))
        signature = b64url_decode(parts[2])
    except ValueError as exc:
        raise invalid_token(f"JWSError (CompactDecodeError {exc})") from None
    digest = HMAC_DIGESTS.get(header.get("alg")) if isinstance(header, dict) else None
    signed = f"{parts[0]}.{parts[1]}".encode()
    if digest is None or not hmac.compare_digest(hmac.new(secret.encode(), signed, digest).digest(), signature):
        raise invalid_token("JWSError JWSInvalidSignature")
    if not isinstance(claims, dict):
        raise invalid_token("JWTClaimsSetDecodeError \"claims are not an object\"")
    times = {key: claims[key] for key in ("exp", "nbf", "iat") if key in claims}
    if any(isinstance(v, bool) or not isinstance(v, (int, float)) for v in times.values()):
        raise invalid_token("JWTClaimsSetDecodeError \"exp, nbf and iat must be numbers\"")
    if "exp" in times and now > times["exp"] + JWT_SKEW:
        raise invalid_token("JWT expired")
    if "nbf" in times and now + JWT_SKEW < times["nbf"]:
        raise invalid_token("JWTNotYetValid")
    if "iat" in times and now + JWT_SKEW < times["iat"]:
        raise invalid_token("JWTIssuedAtFuture")
    return claims


def b64url_decode(text):
    """JWT parts are base64url without padding."""
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def invalid_token(message):
    """PGRST301, with the WWW-Authenticate header PostgREST adds to it."""
    challenge = f'Bearer error="invalid_token", error_description={json.dumps(message)}'
    return pgrst_error(401, "PGRST301", message, headers=[("WWW-Authenticate", challenge)])


# ---------------------------------------------------------------------------------------------
# Connection pool and schema cache


class Pool:
    """At most PGRST_DB_POOL connections as the authenticator, opened on demand and kept across requests."""

    def __init__(self, cfg):
        self.cfg = cfg
        self.idle = queue.LifoQueue()
        self.slots = threading.BoundedSemaphore(cfg.pool_size)

    def connect(self):
        """A session as PostgREST opens it: its fallback_application_name, no other setting."""
        return psycopg.connect(self.cfg.db_uri, autocommit=True, prepare_threshold=None,
                               fallback_application_name=f"PostgREST {VERSION}")

    @contextlib.contextmanager
    def connection(self):
        """Lends a connection, waiting at most PGRST_DB_POOL_ACQUISITION_TIMEOUT (PGRST003)."""
        if not self.slots.acquire(timeout=self.cfg.pool_timeout):
            raise pgrst_error(504, "PGRST003", "Timed out acquiring connection from connection pool.")
        try:
            try:
                conn = self.idle.get_nowait()
            except queue.Empty:
                try:
                    conn = self.connect()
                except psycopg.Error as exc:
                    raise pgrst_error(503, "PGRST000", "Database connection error. Retrying the connection.",
                                      str(exc).strip()) from None
            try:
                yield conn
            finally:
                if conn.broken or conn.closed or conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
                    conn.close()
                else:
                    self.idle.put(conn)
        finally:
            self.slots.release()


@dataclass(frozen=True)
class Param:
    """An input parameter of a function, as the schema cache knows it."""

    name: str
    type: str
    required: bool
    variadic: bool


@dataclass(frozen=True)
class Routine:
    """A function of an exposed schema: what PostgREST needs to match and call it."""

    schema: str
    name: str
    params: tuple
    volatile: bool
    setof: bool
    composite: bool
    void: bool
    media: str | None = None

    def single_unnamed(self):
        """A lone unnamed json/jsonb parameter takes the whole body."""
        return len(self.params) == 1 and self.params[0].name == ""


ROUTINES_SQL = """
SELECT n.nspname, p.proname, p.provolatile::text, p.proretset,
       rt.typtype = 'c' OR coalesce(p.proargmodes::text[] && '{t,b,o}', false) AS composite,
       p.prorettype = 'void'::regtype AS void,
       CASE WHEN t0.typtype = 'd' AND t0.typname ~ '^[a-z]+/[a-z0-9.+-]+$' THEN t0.typname END AS media,
       p.pronargs - p.pronargdefaults AS required,
       coalesce(p.proargnames, '{}') AS names,
       coalesce(p.proargmodes::text[], '{}') AS modes,
       array(SELECT CASE t WHEN 'bit'::regtype THEN 'bit varying'
                           WHEN 'bit[]'::regtype THEN 'bit varying[]'
                           WHEN 'character'::regtype THEN 'character varying'
                           WHEN 'character[]'::regtype THEN 'character varying[]'
                           ELSE t::text END
             FROM unnest(p.proargtypes::oid[]::regtype[]) WITH ORDINALITY AS a(t, i) ORDER BY i) AS types
FROM pg_proc p
JOIN pg_namespace n ON n.oid = p.pronamespace
JOIN pg_type t0 ON t0.oid = p.prorettype
JOIN pg_type rt ON rt.oid = CASE t0.typtype WHEN 'd' THEN t0.typbasetype ELSE t0.oid END
WHERE n.nspname = ANY(%s) AND p.prokind = 'f' AND p.prorettype <> 'trigger'::regtype
"""

UNNAMED_BODY_TYPES = ("json", "jsonb", "text", "xml", "bytea")


def routine_from_row(row):
    """A Routine from ROUTINES_SQL, or None for a function PostgREST cannot call (unnamed arguments)."""
    schema, name, volatility, setof, composite, void, media, required, names, modes, types = row
    if modes:
        inputs = [names[i] if i < len(names) else "" for i, m in enumerate(modes) if m in ("i", "b", "v")]
        variadic = [m == "v" for m in modes if m in ("i", "b", "v")]
    else:
        inputs = [names[i] if i < len(names) else "" for i in range(len(types))]
        variadic = [False] * len(types)
    params = tuple(Param(n, t, i < required, v) for i, (n, t, v) in enumerate(zip(inputs, types, variadic)))
    unnamed = [p for p in params if not p.name]
    if unnamed and not (len(params) == 1 and params[0].type in UNNAMED_BODY_TYPES):
        return None
    return Routine(schema, name, params, volatility == "v", setof, composite, void, media)


class SchemaCache:
    """The functions of the exposed schemas, loaded at startup and on NOTIFY pgrst, as PostgREST's cache."""

    def __init__(self, cfg, pool, log):
        self.cfg = cfg
        self.pool = pool
        self.log = log
        self.routines = {}

    def reload(self):
        """Reads the catalog through the pool, as PostgREST does; requests see the old cache until done."""
        with self.pool.connection() as conn:
            rows = conn.execute(ROUTINES_SQL, [list(self.cfg.schemas)]).fetchall()
        routines = {}
        for routine in filter(None, map(routine_from_row, rows)):
            routines.setdefault((routine.schema, routine.name), []).append(routine)
        self.routines = routines
        self.log(f"schema cache loaded: {sum(map(len, routines.values()))} functions")

    def listen(self):
        """PostgREST's db-channel: NOTIFY pgrst (or 'reload schema') reloads; a new listener reloads too."""
        while True:
            try:
                with self.pool.connect() as conn:
                    conn.execute("LISTEN pgrst")
                    self.reload()
                    for note in conn.notifies():
                        if note.payload in ("", "reload schema"):
                            self.reload()
            except (psycopg.Error, ApiError) as exc:
                self.log(f"schema cache listener: {exc}")
                time.sleep(1)


# ---------------------------------------------------------------------------------------------
# Requests: parsing the query string


@dataclass
class Request:
    """What the handler read from HTTP."""

    method: str
    path: str
    query: str
    headers: dict
    cookies: dict
    body: bytes


@dataclass
class QueryParams:
    """The query string as PostgREST splits it: select, filters, order, range, and RPC arguments."""

    select: list
    filters: list
    order: list
    offset: int
    limit: int | None
    args: list


SIMPLE_OPS = {"eq": "=", "neq": "<>", "gt": ">", "gte": ">=", "lt": "<", "lte": "<=", "like": "like",
              "ilike": "ilike", "match": "~", "imatch": "~*", "cs": "@>", "cd": "<@", "ov": "&&",
              "sl": "<<", "sr": ">>", "nxr": "&<", "nxl": "&>", "adj": "-|-"}
FILTER = re.compile(r"(not\.)?(" + "|".join(sorted(SIMPLE_OPS, key=len, reverse=True)) + r"|in|isdistinct|is)\.(.*)", re.S)
TRILEAN = {"null": "NULL", "unknown": "UNKNOWN", "true": "TRUE", "false": "FALSE"}
FIELD = r'(?:"(?:[^"\\]|\\.)*"|[\w $-]+)'
SELECT_ITEM = re.compile(rf"(?:(?P<alias>{FIELD}):(?!:))?(?P<field>\*|{FIELD})(?:::(?P<cast>[\w ]+))?")
ORDER_TERM = re.compile(rf"(?P<field>{FIELD})(?:\.(?P<dir>asc|desc))?(?:\.(?P<nulls>nullsfirst|nullslast))?")


def parse_error(what, text, details):
    """PGRST100, with PostgREST's message shape for a query parameter it cannot parse."""
    return pgrst_error(400, "PGRST100", f'"failed to parse {what} ({text})" (line 1, column 1)', details)


def field_name(text):
    """A field of the query string: bare (trimmed) or double-quoted with backslash escapes."""
    text = text.strip()
    if text.startswith('"'):
        return re.sub(r"\\(.)", r"\1", text[1:-1], flags=re.S)
    return text


def parse_query(query, rpc_read):
    """Splits the query string like PostgREST; on GET /rpc a value that is no filter is an argument."""
    qp = QueryParams(select=[], filters=[], order=[], offset=0, limit=None, args=[])
    for key, value in parse_qsl(query, keep_blank_values=True):
        if key == "select":
            qp.select = parse_select(value)
        elif key == "order":
            qp.order = parse_order(value)
        elif key in ("limit", "offset"):
            if re.fullmatch(r"-?\d+", value.strip()):
                setattr(qp, key, int(value))
        elif key in ("columns", "on_conflict", "and", "or") or "." in key:
            raise harness_limit(400, "PGRST100", f"query parameter not supported: {key}")
        else:
            condition = parse_filter(value)
            if condition:
                qp.filters.append((field_name(key), condition))
            elif rpc_read:
                qp.args.append((key, value))
            else:
                raise parse_error("filter", value, 'unexpected end of input expecting "not" or operator (eq, gt, ...)')
    if qp.limit is not None and qp.limit < 0:
        raise pgrst_error(416, "PGRST103", "Requested range not satisfiable", "Limit should be greater than or equal to zero.")
    return qp


def parse_select(text):
    """select=a,alias:b,c::text as (alias, field, cast); '*' when empty, as PostgREST."""
    items = []
    for part in text.split(","):
        if not part.strip():
            continue
        m = SELECT_ITEM.fullmatch(part.strip())
        if not m:
            raise parse_error("select parameter", text, "the harness supports columns, aliases and casts only")
        field = m["field"] if m["field"] == "*" else field_name(m["field"])
        items.append((field_name(m["alias"]) if m["alias"] else None, field, m["cast"]))
    return items


def parse_order(text):
    """order=a.desc.nullslast,b as (field, direction, nulls)."""
    terms = []
    for part in text.split(","):
        m = ORDER_TERM.fullmatch(part.strip())
        if not m:
            raise parse_error("order", text, "expecting field[.asc|.desc][.nullsfirst|.nullslast]")
        terms.append((field_name(m["field"]), m["dir"], m["nulls"]))
    return terms


def parse_filter(value):
    """A filter value (not.op.value) as (negated, operator, operand), None when it is no filter."""
    m = FILTER.fullmatch(value)
    if not m:
        return None
    negated, op, operand = bool(m[1]), m[2], m[3]
    if op == "in":
        items = parse_list(operand)
        if items is None:
            raise parse_error("filter", value, 'expecting "(" list of values ")"')
        return negated, op, items
    if op == "is":
        if operand.lower() not in TRILEAN:
            raise parse_error("filter", value, "expecting null or trilean value (unknown, true, false)")
        return negated, op, TRILEAN[operand.lower()]
    return negated, op, operand


def parse_list(text):
    """in.(a,"b,c") as its values; None when malformed."""
    m = re.fullmatch(r"[ \t]*\((.*)\)[ \t]*", text, re.S)
    if not m:
        return None
    items, rest = [], m[1]
    while True:
        quoted = re.match(r'"((?:[^"\\]|\\.)*)"(?=,|$)', rest, re.S)
        if quoted:
            items.append(re.sub(r"\\(.)", r"\1", quoted[1], flags=re.S))
            rest = rest[quoted.end():]
        else:
            raw = re.match(r"[^,)]*", rest)[0]
            items.append(raw)
            rest = rest[len(raw):]
        if not rest:
            return items
        if rest[0] != ",":
            return None
        rest = rest[1:]


# ---------------------------------------------------------------------------------------------
# Requests: building the SQL


class Sql:
    """Parameters in the order the query text uses them."""

    def __init__(self):
        self.params = []

    def param(self, value):
        """A placeholder for a value sent untyped, as PostgREST sends filter values."""
        self.params.append(value)
        return "%s"


def array_literal(values):
    """PostgreSQL array text for in.(...), escaped as PostgREST builds it."""
    def quote(v):
        return '"' + v.split("\0", 1)[0].replace("\\", "\\\\").replace('"', '\\"') + '"'
    return "{" + ",".join(map(quote, values)) + "}"


def condition_sql(sql, column, condition):
    """One filter as PostgREST writes it."""
    negated, op, operand = condition
    prefix = "NOT " if negated else ""
    if op == "in":
        target = "ANY('{}')" if operand == [""] else f"ANY ({sql.param(array_literal(operand))})"
        return f"{prefix}{column} = {target}"
    if op == "is":
        return f"{prefix}{column} IS {operand}"
    if op == "isdistinct":
        return f"{prefix}{column} IS DISTINCT FROM {sql.param(operand)}"
    if op in ("like", "ilike"):
        operand = operand.replace("*", "%")
    return f"{prefix}{column} {SIMPLE_OPS[op]} {sql.param(operand)}"


def read_query(sql, qp, source, qi, max_rows):
    """SELECT ... FROM source WHERE ... ORDER BY ... LIMIT ... OFFSET ... (PostgREST's read plan)."""
    columns = []
    for alias, field, cast in qp.select or [(None, "*", None)]:
        column = f"{qi}.*" if field == "*" else f"{qi}.{ident(field)}"
        if cast:
            column = f"CAST( {column} AS {cast} )"
        columns.append(column + (f" AS {ident(alias)}" if alias else ""))
    text = f"SELECT {', '.join(columns)} FROM {source}"
    if qp.filters:
        text += " WHERE " + " AND ".join(condition_sql(sql, f"{qi}.{ident(col)}", c) for col, c in qp.filters)
    if qp.order:
        text += " ORDER BY " + ", ".join(
            f"{qi}.{ident(field)}" + (f" {direction.upper()}" if direction else "")
            + (" NULLS FIRST" if nulls == "nullsfirst" else " NULLS LAST" if nulls == "nullslast" else "")
            for field, direction, nulls in qp.order)
    limit = qp.limit if max_rows is None else min(max_rows, qp.limit if qp.limit is not None else max_rows)
    if limit is not None or qp.offset:
        text += f" LIMIT {'ALL' if limit is None else sql.param(str(limit))} OFFSET {sql.param(str(qp.offset))}"
    return text


def main_statement(source, outer, body, page_total):
    """The main query, reading response.headers and response.status after it ran, as PostgREST's."""
    return (f"WITH pgrst_source AS ({source}) "
            f"SELECT {page_total} AS page_total, {body}::text AS body, "
            "nullif(current_setting('response.headers', true), '') AS response_headers, "
            "nullif(current_setting('response.status', true), '') AS response_status "
            f"FROM ({outer}) _postgrest_t")


@dataclass
class Plan:
    """One request's transaction: access mode, main statement, and what shapes the answer."""

    read_only: bool
    sql: str
    params: list
    offset: int
    schema: str
    negotiated: bool
    routine: Routine | None = None
    media: str | None = None


def plan_request(app, req):
    """Routes like PostgREST: /<table or view>, /rpc/<function>; anything else is 404."""
    segments = [unquote(s) for s in req.path.split("/")[1:]]
    if len(segments) == 2 and segments[0] == "rpc":
        if req.method not in ("GET", "HEAD", "POST"):
            raise pgrst_error(405, "PGRST101", f"Cannot use the {req.method} method on RPC")
        return plan_call(app, req, *negotiate_schema(app.cfg, req), segments[1])
    if len(segments) == 1 and segments[0]:
        if req.method in ("POST", "PUT", "PATCH", "DELETE", "OPTIONS"):
            raise harness_limit(405, "PGRST117", f"Unsupported HTTP method: {req.method}")
        if req.method not in ("GET", "HEAD"):
            raise pgrst_error(405, "PGRST117", f"Unsupported HTTP method: {req.method}")
        return plan_read(app, req, *negotiate_schema(app.cfg, req), segments[0])
    raise not_found()


def negotiate_schema(cfg, req):
    """Accept-Profile (reads) or Content-Profile (POST) picks one of PGRST_DB_SCHEMAS; and whether it was negotiated."""
    asked = req.headers.get("content-profile" if req.method == "POST" else "accept-profile")
    if asked is None:
        return cfg.schemas[0], len(cfg.schemas) != 1
    if asked not in cfg.schemas:
        raise pgrst_error(406, "PGRST106", "The schema must be one of the following: " + ", ".join(cfg.schemas))
    return asked, True


def negotiate_media(req, media):
    """PostgREST's Accept negotiation: media ranges by quality, ties in the order given; the first that
    the endpoint produces wins: application/json or */* (JSON, None here), or the media type of the
    domain the function returns. 406 PGRST107 when none is produced; no Accept header is */*."""
    header = req.headers.get("accept", "").strip()
    if not header:
        return None
    ranges = []
    for position, part in enumerate(header.split(",")):
        name, *parameters = [field.strip() for field in part.split(";")]
        quality = 1.0
        for parameter in parameters:
            key, _, value = parameter.partition("=")
            if key.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 1.0
        if name:
            ranges.append((-quality, position, name.lower()))
    for negative_quality, _, name in sorted(ranges):
        if negative_quality < 0 and name in ("application/json", "*/*"):
            return None
        if negative_quality < 0 and media is not None and name == media:
            return media
    raise pgrst_error(406, "PGRST107", "None of these media types are available: "
                      + ", ".join(name for _, _, name in ranges))


def plan_read(app, req, schema, negotiated, name):
    """GET/HEAD on a table or view: always READ ONLY."""
    negotiate_media(req, None)
    qp = parse_query(req.query, rpc_read=False)
    sql = Sql()
    qi = f"{ident(schema)}.{ident(name)}"
    source = read_query(sql, qp, qi, qi, app.cfg.max_rows)
    text = main_statement(source, "SELECT * FROM pgrst_source", "coalesce(json_agg(_postgrest_t), '[]')",
                          "pg_catalog.count(_postgrest_t)")
    return Plan(True, text, sql.params, qp.offset, schema, negotiated)


def plan_call(app, req, schema, negotiated, name):
    """An RPC: finds the function by its arguments' names and calls it with them, as PostgREST."""
    post = req.method == "POST"
    qp = parse_query(req.query, rpc_read=not post)
    if post:
        body_text, keys = rpc_body(req)
    else:
        body_text, keys = None, {k for k, _ in qp.args}
    routine = find_routine(app.cache, schema, name, keys, post)
    media = negotiate_media(req, routine.media if not routine.setof and not routine.composite else None)
    if not post:
        body_text = query_arguments(routine, qp.args)
    sql = Sql()
    source = call_query(sql, routine, keys, body_text, qp.select)
    outer = read_query(sql, qp, f'{ident("pgrst_source")} AS {ident(name)}', ident(name), app.cfg.max_rows)
    if media is not None:
        body = "(array_agg(_postgrest_t.pgrst_scalar))[1]"
    elif not routine.composite:
        body = "json_agg(_postgrest_t.pgrst_scalar)" + ("" if routine.setof else "->0")
    else:
        body = "json_agg(_postgrest_t)" + ("" if routine.setof else "->0")
    empty = "''" if media is not None else "'[]'" if routine.setof else "'null'"
    text = main_statement(source, outer, f"coalesce({body}, {empty})",
                          "pg_catalog.count(_postgrest_t)" if routine.setof else "1")
    read_only = not post or not routine.volatile
    return Plan(read_only, text, sql.params, qp.offset, schema, negotiated, routine, media)


def rpc_body(req):
    """The JSON body of POST /rpc and its keys (an empty body is {}); PGRST102 when not JSON."""
    media = req.headers.get("content-type", "application/json").split(";")[0].strip().lower()
    if media != "application/json":
        raise harness_limit(400, "PGRST102", f"Content-Type not acceptable: {media}")
    if not req.body:
        return "", set()
    try:
        text = req.body.decode("utf-8")
    except UnicodeDecodeError:
        text = ""
    doc = decode_json(text)
    if doc is INVALID:
        raise pgrst_error(400, "PGRST102", "Empty or invalid json")
    if isinstance(doc, dict):
        return text, set(doc)
    if isinstance(doc, list) and doc:
        if not all(isinstance(d, dict) and set(d) == set(doc[0]) for d in doc):
            raise pgrst_error(400, "PGRST102", "All object keys must match")
        return text, set(doc[0])
    return text, set()


def query_arguments(routine, args):
    """GET /rpc's query parameters as a JSON object of strings (lists for a VARIADIC parameter)."""
    variadic = {p.name for p in routine.params if p.variadic}
    doc = {}
    for key, value in args:
        if key in variadic:
            doc.setdefault(key, []).append(value)
        else:
            doc[key] = value
    return compact(doc)


def find_routine(cache, schema, name, keys, post):
    """PostgREST's findProc: required parameters all given, the rest among the optional ones."""
    candidates = cache.routines.get((schema, name), [])
    matching = [r for r in candidates if not r.single_unnamed() and
                keys - {p.name for p in r.params if not p.required} == {p.name for p in r.params if p.required}]
    if not matching and post:
        matching = [r for r in candidates if r.single_unnamed() and r.params[0].type in ("json", "jsonb")]
    if len(matching) == 1:
        return matching[0]
    if matching:
        signatures = ", ".join(f"{r.schema}.{r.name}({', '.join(f'{p.name} => {p.type}' for p in r.params)})"
                               for r in matching)
        raise pgrst_error(300, "PGRST203", f"Could not choose the best candidate function between: {signatures}",
                          hint="Try renaming the parameters or the function itself in the database "
                               "so function overloading can be resolved")
    raise no_function(cache, schema, name, sorted(keys), post, candidates)


def no_function(cache, schema, name, keys, post, overloads):
    """PGRST202 with PostgREST's message, details and (approximated fuzzy) hint."""
    listed = ", ".join(keys)
    message = f"Could not find the function {schema}.{name}" + (f"({listed})" if keys else " without parameters")
    searched = (f" with parameter{'s' if len(keys) > 1 else ''} {listed}" if keys else " without parameters")
    if post:
        searched += " or with a single unnamed json/jsonb parameter"
    details = f"Searched for the function {schema}.{name}{searched}, but no matches were found in the schema cache."
    if overloads:
        signatures = ["(" + ", ".join(sorted(p.name for p in r.params)) + ")" for r in overloads]
        best = difflib.get_close_matches("(" + listed + ")", signatures, 1, 0.3)
        suggestion = name + best[0] if best else None
    else:
        names = [n for s, n in cache.routines if s == schema]
        best = difflib.get_close_matches(name, names, 1, 0.5)
        suggestion = best[0] if best else None
    hint = f"Perhaps you meant to call the function {schema}.{suggestion}" if suggestion else None
    return pgrst_error(404, "PGRST202", f"{message} in the schema cache", details, hint)


def call_query(sql, routine, keys, body_text, select):
    """PostgREST's call: named arguments read by json_to_record($1) with the parameters' types."""
    function = f"{ident(routine.schema)}.{ident(routine.name)}"
    given = [p for p in routine.params if p.name in keys]
    prefix = "FROM "
    if routine.single_unnamed():
        argument = f"{sql.param(body_text)}::{routine.params[0].type}"
    elif given:
        columns = ", ".join(ident(p.name) for p in given)
        typed = ", ".join(f"{ident(p.name)} {p.type.replace('%', '%%')}" for p in given)
        prefix = (f"FROM (SELECT {sql.param(body_text)}::json AS json_data) pgrst_payload, "
                  f"LATERAL (SELECT {columns} FROM json_to_record(pgrst_payload.json_data) AS _({typed}) LIMIT 1) "
                  "pgrst_body , LATERAL ")
        argument = ", ".join(f"{'VARIADIC ' if p.variadic else ''}{ident(p.name)} := pgrst_body.{ident(p.name)}"
                             for p in given)
    else:
        argument = ""
    if not routine.composite:
        return f"SELECT pgrst_call.pgrst_scalar {prefix}(SELECT {function}({argument}) pgrst_scalar) pgrst_call"
    fields = sorted({field for _, field, _ in select})
    returned = "*" if not fields or "*" in fields else ", ".join(f'"pgrst_call".{ident(f)}' for f in fields)
    return f"SELECT {returned} {prefix}{function}({argument}) pgrst_call"


# ---------------------------------------------------------------------------------------------
# Requests: the transaction and the answer


SETTINGS_SQL = ("select set_config('search_path', %s, true), set_config('role', %s, true), "
                "set_config('request.jwt.claims', %s, true), set_config('request.method', %s, true), "
                "set_config('request.path', %s, true), set_config('request.headers', %s, true), "
                "set_config('request.cookies', %s, true)")


def run_transaction(app, req, role, claims, plan):
    """PostgREST's transaction; the role stays in effect through COMMIT, so deferred triggers run as it."""
    cfg = app.cfg
    search_path = ", ".join(quote_ident(s) for s in (plan.schema,) + cfg.extra_search_path)
    settings = [search_path, role, compact(claims), req.method, req.path, compact(req.headers), compact(req.cookies)]
    with app.pool.connection() as conn:
        try:
            conn.execute(f"BEGIN ISOLATION LEVEL READ COMMITTED {'READ ONLY' if plan.read_only else 'READ WRITE'}", ())
            conn.execute(SETTINGS_SQL, settings)
            if cfg.pre_request:
                conn.execute(f"select {qualified(cfg.pre_request)}()", ())
            row = conn.execute(plan.sql, plan.params).fetchone()
            conn.execute("COMMIT", ())
            return row
        except psycopg.Error as exc:
            if not conn.broken and conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
                with contextlib.suppress(psycopg.Error):
                    conn.execute("ROLLBACK", ())
            raise database_error(exc, role != cfg.anon_role) from None


def compact(value):
    """JSON as PostgREST's aeson writes it: no spaces, UTF-8."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def respond(app, req):
    """One request through PostgREST's cycle: authenticate, plan, transaction, answer."""
    role, claims = authenticate(app.cfg, req.headers.get("authorization"), time.time())
    plan = plan_request(app, req)
    page_total, body, guc_headers, guc_status = run_transaction(app, req, role, claims, plan)
    lower, upper = plan.offset, plan.offset + page_total - 1
    headers = [("Content-Range", f"{lower}-{upper}/*" if lower <= upper else "*/*")]
    if plan.routine is not None and plan.routine.void:
        status, payload = 204, b""
    else:
        status = 200
        headers.append(("Content-Type", plan.media or JSON_TYPE))
        if plan.negotiated:
            headers.append(("Content-Profile", plan.schema))
        payload = b"" if req.method == "HEAD" else body.encode()
    return override(status, headers, guc_status, guc_headers) + (payload,)


def override(status, headers, guc_status, guc_headers):
    """response.status and response.headers replace PostgREST's status and same-named headers."""
    if guc_status is not None:
        digits = re.match(r"\d+", guc_status)
        if not digits:
            raise pgrst_error(500, "PGRST112", "response.status guc must be a valid status code")
        status = int(digits[0])
    if guc_headers is not None:
        doc = decode_json(guc_headers)
        if not (isinstance(doc, list) and all(isinstance(h, dict) and len(h) == 1
                                              and isinstance(next(iter(h.values())), str) for h in doc)):
            raise pgrst_error(500, "PGRST111", "response.headers guc must be a JSON array composed of objects "
                                               "with a single key and a string value")
        extra = [next(iter(h.items())) for h in doc]
        names = {name.lower() for name, _ in extra}
        headers = [h for h in headers if h[0].lower() not in names] + extra
    return status, headers


# ---------------------------------------------------------------------------------------------
# HTTP


class App:
    """What every request shares: configuration, pool, schema cache, log."""

    def __init__(self, cfg):
        self.cfg = cfg
        self.lock = threading.Lock()
        self.pool = Pool(cfg)
        self.cache = SchemaCache(cfg, self.pool, self.log)

    def log(self, line):
        """One line on stderr (the --log file), whole even when threads log at once."""
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime())
        with self.lock:
            print(f"{stamp} {line}", file=sys.stderr, flush=True)


class Handler(http.server.BaseHTTPRequestHandler):
    """Every method reaches serve(), as every method reaches PostgREST."""

    protocol_version = "HTTP/1.1"
    server_version = f"postgrest/{VERSION}"
    sys_version = ""

    def __getattr__(self, name):
        """http.server looks up do_<METHOD>; PostgREST answers unknown methods itself (405)."""
        if name.startswith("do_"):
            return self.serve
        raise AttributeError(name)

    def log_message(self, *args):
        """serve() logs one line per request instead."""

    def serve(self):
        """Reads the request, answers it, logs method, path, status and time."""
        app = self.server.app
        started = time.monotonic()
        try:
            split = urlsplit(self.path)
            body = self.read_body()
            headers = {name.lower(): utf8(value) for name, value in self.headers.items() if name.lower() != "cookie"}
            cookies = parse_cookies(utf8(self.headers.get("Cookie", "")))
            req = Request(self.command, split.path, split.query, headers, cookies, body)
            status, out_headers, payload = respond(app, req)
            reason = None
        except ApiError as err:
            status, reason = err.status, err.reason
            payload = compact(err.body).encode()
            out_headers = [("Content-Type", JSON_TYPE)] + err.headers
        except Exception as exc:  # an answer even for the harness's own bugs, which the log shows
            app.log(traceback.format_exc().rstrip())
            status, reason = 500, None
            payload = compact({"code": "PGRSTX00", "message": str(exc), "details": None, "hint": None}).encode()
            out_headers = [("Content-Type", JSON_TYPE)]
        self.send(status, reason, out_headers, payload)
        app.log(f"{self.command} {self.path} {status} {(time.monotonic() - started) * 1000:.1f}ms")

    def read_body(self):
        """The request body, refused above 10 MB (413)."""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self.read_chunked()
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            self.close_connection = True
            raise harness_limit(400, "PGRST102", "invalid Content-Length") from None
        if length > MAX_BODY:
            self.close_connection = True
            raise too_large()
        return self.rfile.read(length)

    def read_chunked(self):
        """A chunked body, with the same limit."""
        body = bytearray()
        while size := int(self.rfile.readline(1024).split(b";")[0] or b"0", 16):
            if len(body) + size > MAX_BODY:
                self.close_connection = True
                raise too_large()
            body += self.rfile.read(size)
            self.rfile.readline()
        while self.rfile.readline(1024).strip():
            pass
        return bytes(body)

    def send(self, status, reason, headers, payload):
        """Status line (with a RAISE's reason phrase when it gave one), headers, body."""
        if reason is not None:
            reason = " ".join(reason.split()).encode("latin-1", "replace").decode("latin-1")
        self.send_response(status, reason)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)


def too_large():
    """PostgREST sets no limit on bodies; the harness stops at 10 MB."""
    return pgrst_error(413, None, f"Payload Too Large: the test harness accepts bodies up to {MAX_BODY} bytes")


def utf8(value):
    """A header value as PostgREST reads it (UTF-8); http.server decoded it as Latin-1."""
    return value.encode("latin-1", "replace").decode("utf-8", "replace")


def parse_cookies(header):
    """The Cookie header as PostgREST's request.cookies: name -> value, the last one winning."""
    cookies = {}
    for part in header.split(";"):
        name, sep, value = part.strip().partition("=")
        if name or sep:
            cookies[name] = value
    return cookies


class Server(http.server.ThreadingHTTPServer):
    """A thread per connection; the threads do not keep the process alive at shutdown."""

    daemon_threads = True


# ---------------------------------------------------------------------------------------------
# Process


def detach(keep_stderr):
    """Double fork; the first process exits 0 once the server is ready (1 if it died first)."""
    read_end, write_end = os.pipe()
    if os.fork() > 0:
        os.close(write_end)
        ok = os.read(read_end, 1) == b"1"
        os._exit(0 if ok else 1)
    os.close(read_end)
    os.setsid()
    if os.fork() > 0:
        os._exit(0)
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1) if keep_stderr else (0, 1, 2):
        os.dup2(null, fd)

    def ready():
        """Lets the first process exit: the port file is written."""
        os.write(write_end, b"1")
        os.close(write_end)
    return ready


def write_atomically(path, text):
    """Readers of the port and pid files never see them half written."""
    with open(f"{path}.tmp", "w") as f:
        f.write(text + "\n")
    os.replace(f"{path}.tmp", path)


def main():
    """Binds, loads the schema cache, announces the port, serves until SIGTERM."""
    parser = argparse.ArgumentParser(description="PostgREST v12 stand-in for tests (configured by PGRST_*)")
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1; 0 picks a free one")
    parser.add_argument("--port-file", required=True, help="gets the port once the server answers")
    parser.add_argument("--pid-file")
    parser.add_argument("--log", help="request and error log (default: stderr)")
    parser.add_argument("--daemon", action="store_true", help="detach once the port file is written")
    args = parser.parse_args()
    try:
        cfg = config_from_env(os.environ)
    except ValueError as exc:
        sys.exit(f"pgrst.py: {exc}")
    if args.log:
        log_fd = os.open(args.log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        os.dup2(log_fd, 2)
        os.close(log_fd)
    server = Server(("127.0.0.1", args.port), Handler)
    ready = detach(keep_stderr=bool(args.log)) if args.daemon else (lambda: None)
    app = server.app = App(cfg)
    try:
        app.cache.reload()
    except (psycopg.Error, ApiError) as exc:
        app.log(f"cannot load the schema cache: {compact(exc.body) if isinstance(exc, ApiError) else exc}")
        sys.exit(1)
    if args.pid_file:
        write_atomically(args.pid_file, str(os.getpid()))
    write_atomically(args.port_file, str(server.server_address[1]))
    app.log(f"listening on 127.0.0.1:{server.server_address[1]}")
    ready()
    threading.Thread(target=app.cache.listen, daemon=True).start()
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    server.serve_forever()
    server.server_close()
    app.log("stopped")


if __name__ == "__main__":
    main()
