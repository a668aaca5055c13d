"""QuickBooks' wire shapes: the Fault envelope and its codes (B11), the 401 and throttle bodies, times
with the company's UTC offset (B2), and money as JSON numbers worked out in Decimal."""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

# code -> (Message, HTTP status). Messages are QuickBooks' own (B11); the Detail says what was wrong here.
CODES: dict[str, tuple[str, int]] = {
    "500": ("Unsupported Operation", 400),
    "600": ("Duplicate Request ID", 400),
    "610": ("Object Not Found", 400),
    "1040": ("Batch size exceeds allowed limit", 400),
    "2010": ("Request has invalid or unsupported property", 400),
    "2020": ("Required param missing, need to supply the required value for the API", 400),
    "2050": ("String length is either shorter or longer than supported by specification", 400),
    "2500": ("Invalid Reference Id", 400),
    "4000": ("Error parsing query", 400),
    "4001": ("Invalid query", 400),
    "5010": ("Stale Object Error", 400),
    "6000": ("A business validation error has occurred while processing your request", 400),
    "6010": ("Invalid Account Type used", 400),
    "6030": ("Attachment size exceeds the allowed limit", 400),
    "6080": ("No Name Provided", 400),
    "6140": ("Duplicate Document Number Error", 400),
    "6240": ("Duplicate Name Exists Error", 400),
    "10000": ("An application error has occurred while processing your request", 500),
}
FAULT_TYPES = {"5": "ValidationFault", "6": "ValidationFault", "2": "ValidationFault", "4": "ValidationFault"}


class QBOError(Exception):
    """One QuickBooks Fault: raised by the books, turned into the wire envelope by the API layer."""

    def __init__(self, code: str, detail: str, element: str = "", status: int | None = None,
                 fault_type: str | None = None) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail
        self.element = element
        message, default_status = CODES.get(code, ("An error has occurred", 400))
        self.message = message
        self.status = default_status if status is None else status
        self.fault_type = fault_type or ("SystemFault" if code == "10000" else "ValidationFault")

    def fault(self) -> dict:
        error = {"Message": self.message, "Detail": self.detail, "code": self.code}
        if self.element:
            error["element"] = self.element
        return {"Error": [error], "type": self.fault_type}


def auth_failed(detail: str) -> dict:
    """The 401 body, with its lower-case keys (B11)."""
    return {"warnings": None, "intuitObject": None,
            "fault": {"error": [{"message": "message=AuthenticationFailed; errorCode=003200; statusCode=401",
                                 "detail": detail, "code": "3200"}], "type": "AUTHENTICATION"},
            "report": None, "queryResponse": None, "batchItemResponse": [], "attachableResponse": [],
            "syncErrorResponse": None, "requestId": None, "time": None, "status": None, "cdcresponse": []}


def forbidden_realm(realm: str) -> dict:
    return {"Fault": {"Error": [{
        "Message": "message=ApplicationAuthorizationFailed; errorCode=003100; statusCode=403",
        "Detail": f"The token is not authorized for company {realm}.", "code": "3100"}], "type": "SERVICE"}}


THROTTLE_XML = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                '<IntuitResponse xmlns="http://schema.intuit.com/finance/v3" time="{time}">'
                '<Fault type="SERVICE"><Error code="3001"><Message>message=ThrottleExceeded; errorCode=003001; '
                'statusCode=429</Message><Detail>The request limit was reached.  Try again later</Detail></Error>'
                '</Fault></IntuitResponse>')


def throttle_json() -> dict:
    return {"Fault": {"Error": [{"Message": "message=ThrottleExceeded; errorCode=003001; statusCode=429",
                                 "Detail": "The request limit was reached.  Try again later", "code": "3001"}],
                      "type": "SERVICE"}}


def system_fault() -> dict:
    return QBOError("10000", "System Failure Error: An unknown error occurred (sandbox fault injection)",
                    fault_type="SystemFault").fault()


# -- time -------------------------------------------------------------------------------------------------
def stamp(ts: float, tz: str, millis: bool = False) -> str:
    """``2015-07-23T10:58:12-07:00`` in the company's zone (``.099`` milliseconds for the envelope time)."""
    dt = datetime.fromtimestamp(ts, ZoneInfo(tz))
    text = dt.isoformat(timespec="milliseconds" if millis else "seconds")
    return text


def day(ts: float, tz: str) -> str:
    return datetime.fromtimestamp(ts, ZoneInfo(tz)).date().isoformat()


def parse_when(value: str, tz: str) -> float:
    """A date (``2024-01-01``, midnight in the company's zone) or an ISO datetime (no offset: company zone)."""
    text = value.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    dt = datetime.fromisoformat(text)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=ZoneInfo(tz))
    return dt.timestamp()


# -- money ------------------------------------------------------------------------------------------------
CENT = Decimal("0.01")


def money(value: Any, field: str = "amount") -> Decimal:
    """A request amount as Decimal: numbers or numeric strings; ``""`` and None are zero (the SDK's defaults)."""
    if value is None or value == "":
        return Decimal(0)
    if isinstance(value, bool):
        raise QBOError("2010", f"{field} must be a number, not {value!r}", element=field)
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise QBOError("2010", f"{field} must be a number, not {value!r}", element=field) from None


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def num(value: Decimal) -> float | int:
    """Money on the wire: a JSON number (an int when whole, as QuickBooks writes 100 rather than 100.0)."""
    q = cents(value)
    return int(q) if q == q.to_integral_value() else float(q)
