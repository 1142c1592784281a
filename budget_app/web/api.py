"""The app's small JSON API: what the offline app shell (``shell``) needs, and nothing more.

``GET  /api/v1/me``                                  who this device is signed in as, and their families
``GET  /api/v1/families/{id}/categories``            the family's categories in use (not archived)
``GET  /api/v1/families/{id}/daily``                 today's figures (``budgets.daily_budget``)
``POST /api/v1/families/{id}/transactions``          add an expense or refund (``transactions.add_transaction``)

Every call is made as the device's session (the HttpOnly ``fb_device`` cookie; 401 without a live
one) and enters the family through the family handle (``families.open``: 403 for a family the
person is not a member of, with the same words whether it exists or not). A POST must carry the
app's own ``Origin`` and a JSON body (a form on another site can do neither, see ``http``). Bad
input gets a 4xx with ``{"error": "<one line>"}`` and writes nothing. Each device (session) may
make ``RATE`` calls per ``PER_S`` seconds (429 with ``Retry-After`` beyond that).
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import date

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from budget_core.domain.money import decimal_string, format_money, parse_amount
from budget_core.errors import BudgetError, Conflict, NotFound, PermissionDenied, ValidationError
from budget_core.services import budgets, categories, deliveries, devices, families, transactions
from budget_core.services.access import FamilyAccess

from ..errors import DB_DOWN
from . import http

RATE = 60  # calls a device may make per window: an outbox of 60 entries goes in one window
PER_S = 60.0
SIGNED_OUT = "This device is not signed in; open the app and sign in, then the entries will be sent."
DB_AWAY = "The family's database cannot be reached right now; the entry stays on the device."
MAX_DESCRIPTION = 200


class _Limiter:
    """A token bucket per device session (this process's memory: each app process limits its own calls)."""

    def __init__(self, rate: int, per_s: float):
        self.rate, self.per_s = rate, per_s
        self.buckets: dict[int, tuple[float, float]] = {}
        self.lock = threading.Lock()

    def take(self, key: int) -> float:
        """0 when the call may go ahead, else the seconds until it may."""
        now = time.monotonic()
        with self.lock:
            tokens, at = self.buckets.get(key, (float(self.rate), now))
            tokens = min(float(self.rate), tokens + (now - at) * self.rate / self.per_s)
            if tokens < 1:
                self.buckets[key] = (tokens, now)
                return (1 - tokens) * self.per_s / self.rate
            self.buckets[key] = (tokens - 1, now)
            if len(self.buckets) > 10_000:  # forget devices that have been quiet for a full window
                for k in [k for k, (_, t) in self.buckets.items() if now - t > self.per_s]:
                    del self.buckets[k]
            return 0.0


LIMITER = _Limiter(RATE, PER_S)


def _session(request: Request) -> devices.Session:
    token = request.cookies.get(http.COOKIE)
    if not token:
        raise devices.SignedOut("unknown")
    return devices.check(http.engine(), token=token)


def _family_id(request: Request) -> int:
    raw = request.path_params["family_id"]
    try:
        return int(raw)
    except ValueError:
        raise ValidationError(f"'{raw}' is not a family id.") from None


Handler = Callable[[Request, devices.Session, dict], tuple[int, dict]]


def endpoint(handler: Handler, *, writes: bool = False) -> Callable[[Request], Awaitable[Response]]:
    """Wrap ``handler(request, session, body)`` (run in a thread; ``body`` is {} for a GET): CSRF and session checks, the rate
    limit, and typed errors turned into a status and a one-line reason."""

    async def route(request: Request) -> Response:
        if writes and not http.same_origin(request):
            return http.refuse(403, "This request did not come from the app's own pages.")
        try:
            body = await http.json_body(request) if writes else None
        except ValueError as err:
            return http.refuse(400, str(err))
        try:
            session = await run_in_threadpool(_session, request)
        except PermissionDenied as err:
            return http.refuse(401, err.message if http.COOKIE in request.cookies else SIGNED_OUT)
        except DB_DOWN:
            return http.refuse(503, DB_AWAY, **{"Retry-After": "30"})
        wait = LIMITER.take(session.session_id)
        if wait:
            seconds = max(1, round(wait + 0.5))
            return http.refuse(
                429, f"Too many requests from this device; try again in {seconds} s.", **{"Retry-After": str(seconds)}
            )
        try:
            status, data = await run_in_threadpool(handler, request, session, body or {})
        except PermissionDenied as err:
            return http.refuse(403, err.message)
        except NotFound as err:
            return http.refuse(404 if not writes else 422, err.message)
        except Conflict as err:
            return http.refuse(409, err.message)
        except ValidationError as err:
            return http.refuse(422 if writes else 400, err.message)
        except DB_DOWN:
            return http.refuse(503, DB_AWAY, **{"Retry-After": "30"})
        except BudgetError as err:
            return http.refuse(400, err.message)
        return JSONResponse(data, status_code=status, headers=http.no_store())

    return route


def _open(request: Request, session: devices.Session) -> FamilyAccess:
    return families.open(http.engine(), session.user.id, _family_id(request))


def _browser_language(request: Request) -> str | None:
    """The first language of the request's Accept-Language ('de-AT,de;q=0.9' → 'de-AT'), if any."""
    first = request.headers.get("accept-language", "").split(",")[0].split(";")[0].strip()
    return first if first and first != "*" else None


def me(request: Request, session: devices.Session, body: dict) -> tuple[int, dict]:
    """Who is signed in and their families, each with what the offline form needs to write money
    the family's way: its currency and its locale as a BCP 47 tag ('de-DE', for ``Intl``)."""
    memberships = families.my_families(http.engine(), session.user.id)
    language = _browser_language(request)
    out = []
    for m in memberships:
        access = families.open(http.engine(), session.user.id, m.family_id)
        out.append(
            {
                "id": m.family_id,
                "name": m.family_name,
                "role": m.role,
                "member": m.display_name,
                "currency": access.currency,
                "locale": access.family.locale(language).replace("_", "-"),
                "today": access.today().isoformat(),
            }
        )
    return 200, {"user": {"id": session.user.id, "name": session.user.display_name}, "families": out}


def category_list(request: Request, session: devices.Session, body: dict) -> tuple[int, dict]:
    access = _open(request, session)
    return 200, {
        "family_id": access.family_id,
        "categories": [
            {"id": c.id, "name": c.name, "label": c.label, "kind": c.kind} for c in categories.list_categories(access)
        ],
    }


def daily(request: Request, session: devices.Session, body: dict) -> tuple[int, dict]:
    access = _open(request, session)
    fb = budgets.daily_budget(access)
    b, cur = fb.budget, fb.currency

    def money(minor: int) -> dict:
        return {"minor": minor, "amount": decimal_string(minor, cur), "text": format_money(minor, cur)}

    return 200, {
        "family_id": access.family_id,
        "currency": cur,
        "date": b.on.isoformat(),
        "period": {"start": b.period_start.isoformat(), "end": b.period_end.isoformat()},
        "days_left": b.days_left,
        "allowance_today": money(b.allowance_today),
        "spent_today": money(b.spent_today),
        "left_today": money(b.left_today),
        "version": fb.version,
    }


def _text(body: dict, key: str, what: str, *, required: bool = True) -> str | None:
    value = body.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str):
        raise ValidationError(f"Give the {what} as text.")
    return value


def draft_from(body: dict, currency: str) -> transactions.TransactionDraft:
    """The entry a device sent, checked field by field; ValidationError with the person's words."""
    raw_id = _text(body, "client_id", "entry's client_id (a UUID made on the device)")
    try:
        client_id = uuid.UUID(raw_id or "")
    except ValueError:
        raise ValidationError("The entry's client_id is not a UUID.") from None
    amount = body.get("amount")
    if isinstance(amount, bool) or not isinstance(amount, str):
        raise ValidationError('Give the amount as text, such as "12.50".')
    minor = parse_amount(amount, currency)
    description = _text(body, "description", "description", required=False) or ""
    if len(description) > MAX_DESCRIPTION:
        raise ValidationError(f"Keep the description under {MAX_DESCRIPTION} characters.")
    category = body.get("category")
    if isinstance(category, bool) or not isinstance(category, int | str) or category == "":
        raise ValidationError("Choose a category (its id or its name).")
    occurred = _text(body, "date", "date (YYYY-MM-DD)", required=False)
    try:
        occurred_on = date.fromisoformat(occurred) if occurred else None
    except ValueError:
        raise ValidationError(f"'{occurred}' is not a date (YYYY-MM-DD).") from None
    refund = body.get("refund", False)
    if not isinstance(refund, bool):
        raise ValidationError("Say whether it is a refund with true or false.")
    return transactions.TransactionDraft(minor, description, category, occurred_on, client_id, refund)


def add(request: Request, session: devices.Session, body: dict) -> tuple[int, dict]:
    access = _open(request, session)
    typed_by = body.get("typed_by")
    if typed_by is not None and typed_by != session.user.id:
        raise PermissionDenied("This entry was typed by another account on this device; sign in as them to send it.")
    draft = draft_from(body, access.currency)
    assert draft.client_id is not None
    replay = deliveries.already_stored(access, draft.client_id)
    tx = transactions.add_transaction(access, draft)
    if not replay:
        deliveries.note_sent(http.engine(), session.session_id)
    return (200 if replay else 201), {
        "replayed": replay,
        "transaction": {
            "id": tx.id,
            "client_id": str(tx.client_id),
            "amount": decimal_string(tx.amount, tx.currency),
            "amount_minor": tx.amount,
            "currency": tx.currency,
            "description": tx.description,
            "category": tx.category,
            "category_id": tx.category_id,
            "date": tx.occurred_on.isoformat(),
            "member": tx.member,
        },
    }


ROUTES = [
    Route("/api/v1/me", endpoint(me), methods=["GET"]),
    Route("/api/v1/families/{family_id}/categories", endpoint(category_list), methods=["GET"]),
    Route("/api/v1/families/{family_id}/daily", endpoint(daily), methods=["GET"]),
    Route("/api/v1/families/{family_id}/transactions", endpoint(add, writes=True), methods=["POST"]),
]
