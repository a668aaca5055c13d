"""Job settings as form fields, drawn from each operation's parameter model (runtime/params.py): a
choice list for a Literal, a checkbox for a switch that is off by default, a yes/no/default list for
one that is not, a text box otherwise. A field left empty keeps the model's default; what is filled
in is read as `--param KEY=VALUE` reads it and then checked by the same model as the CLI's."""

from __future__ import annotations

import typing
from dataclasses import dataclass
from typing import Any, Literal

from pydantic_core import PydanticUndefined

from scorolink.runtime.jobs import param_value  # the CLI's --param KEY=VALUE reading
from scorolink.runtime.params import OperationParams

FLAG, CHOICE, YES_NO, TEXT = "flag", "choice", "yes_no", "text"


@dataclass(frozen=True)
class ParamField:
    name: str
    kind: str
    choices: tuple[str, ...] = ()
    default: str = ""  # shown as the placeholder: what an empty field means
    required: bool = False

    @property
    def label(self) -> str:
        return self.name.replace("_", " ")


def fields_of(model: type[OperationParams]) -> list[ParamField]:
    out = []
    for name, info in model.model_fields.items():
        annotation, default = info.annotation, info.default
        shown = "" if default in (PydanticUndefined, None) else (
            ", ".join(map(str, default)) if isinstance(default, (list, tuple)) else str(default).lower()
            if isinstance(default, bool) else str(default))
        if typing.get_origin(annotation) is Literal:
            out.append(ParamField(name, CHOICE, tuple(str(a) for a in typing.get_args(annotation)), shown))
        elif annotation is bool and default is False:
            out.append(ParamField(name, FLAG, default=shown))
        elif annotation is bool or set(typing.get_args(annotation)) == {bool, type(None)}:
            out.append(ParamField(name, YES_NO, ("true", "false"), shown))
        else:
            out.append(ParamField(name, TEXT, default=shown, required=info.is_required()))
    return out


def field_name(operation: str, name: str) -> str:
    return f"p.{operation}.{name}"


def read(model: type[OperationParams], operation: str, form: Any) -> dict[str, Any]:
    """The filled-in settings of `operation` from a submitted form (empty: the model's default)."""
    params: dict[str, Any] = {}
    for f in fields_of(model):
        raw = str(form.get(field_name(operation, f.name)) or "").strip()
        if f.kind == FLAG:
            if raw:
                params[f.name] = True
        elif raw:
            params[f.name] = raw if f.kind == CHOICE else param_value(raw)
    return params
