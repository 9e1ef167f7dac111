"""Evaluate the Terraform expressions python-hcl2 hands back as strings, enough to read IAM grants.

python-hcl2 parses the files but leaves every expression as text
(`"${toset(concat(local.functions, [\"web\"]))}"`). This evaluates the subset
of HCL's expression language terraform/ uses for its grants: literals and
templates, tuples and objects, `local.*`, `each.*`, for-expressions (tuple and
object, with `if`), `? :`, comparison and logic, and the functions toset,
concat, flatten, contains, setunion, keys, values, merge, length, tolist,
jsonencode, jsondecode, file (with `path.module`), distinct, try. Anything else that names a resource, a variable or data (`var.x`,
`google_x.y[k].attr`) becomes a `Ref` whose text is its path with keys
resolved, e.g. `google_service_account.fn[auth].member`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Ref:
    """An unresolved reference (resource attribute, variable, data source)."""

    path: str

    def __str__(self) -> str:
        return self.path


class HclError(ValueError):
    pass


_TOKEN = re.compile(r"""
    (?P<ws>\s+|\#[^\n]*|//[^\n]*)
  | (?P<num>\d+(\.\d+)?)
  | (?P<str>")
  | (?P<op>=>|==|!=|<=|>=|&&|\|\||\.\.\.|[\[\]{}(),.:?!=<>+\-*/%])
  | (?P<name>[A-Za-z_][A-Za-z0-9_\-]*)
""", re.X)


def _tokens(text: str) -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    i = 0
    while i < len(text):
        m = _TOKEN.match(text, i)
        if not m:
            raise HclError(f"cannot read {text[i:i + 20]!r}")
        kind = m.lastgroup
        if kind == "str":
            parts, i = _string(text, m.end())
            out.append(("str", parts))
            continue
        i = m.end()
        if kind == "ws":
            continue
        out.append((str(kind), m.group()))
    out.append(("end", ""))
    return out


def _string(text: str, i: int) -> tuple[list[Any], int]:
    """A quoted template from just after `"`: literal pieces and token lists of `${...}`."""
    parts: list[Any] = []
    buf = ""
    while True:
        if i >= len(text):
            raise HclError("unterminated string")
        c = text[i]
        if c == '"':
            parts.append(buf)
            return parts, i + 1
        if c == "\\":
            buf += {"n": "\n", "t": "\t", '"': '"', "\\": "\\"}.get(text[i + 1], text[i + 1])
            i += 2
        elif text.startswith("$${", i):
            buf += "${"
            i += 3
        elif text.startswith("${", i):
            parts.append(buf)
            buf = ""
            depth, j = 1, i + 2
            while depth:
                if text[j] == '"':
                    _, j = _string(text, j + 1)
                    continue
                depth += {"{": 1, "}": -1}.get(text[j], 0)
                j += 1
            parts.append(_tokens(text[i + 2:j - 1]))
            i = j
        else:
            buf += c
            i += 1


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "toset": lambda xs: list(dict.fromkeys(xs)),
    "tolist": list,
    "concat": lambda *xs: [x for part in xs for x in part],
    "flatten": lambda xs: [y for x in xs for y in (x if isinstance(x, list) else [x])],
    "contains": lambda xs, x: x in xs,
    "setunion": lambda *xs: list(dict.fromkeys(x for part in xs for x in part)),
    "keys": lambda m: sorted(m),
    "values": lambda m: [m[k] for k in sorted(m)],
    "merge": lambda *ms: {k: v for m in ms for k, v in m.items()},
    "length": len,
    "jsonencode": lambda v: json.dumps(v, default=str),
    "jsondecode": json.loads,
    "file": lambda path: Path(path).read_text(encoding="utf-8"),
    "distinct": lambda xs: list(dict.fromkeys(xs)),
    "try": lambda *xs: next((x for x in xs if not isinstance(x, Ref)), xs[-1] if xs else None),
}


class Evaluator:
    """`evaluate(text, scope)`: scope maps root names (`local`, `each`, loop variables) to values."""

    def __init__(self, locals_: dict[str, str], *, module_dir: str = ".") -> None:
        self._base = {"path": {"module": module_dir}}
        self._local_text = locals_
        self._locals: dict[str, Any] = {}

    def local(self, name: str) -> Any:
        if name not in self._locals:
            if name not in self._local_text:
                return Ref(f"local.{name}")
            self._locals[name] = self.evaluate(self._local_text[name], {})
        return self._locals[name]

    def evaluate(self, value: Any, scope: dict[str, Any]) -> Any:
        """A value from python-hcl2 (expression string, quoted string, list, dict) → Python."""
        if isinstance(value, dict):
            return {_unquote(k): self.evaluate(v, scope) for k, v in value.items() if not k.startswith("__")}
        if isinstance(value, list):
            return [self.evaluate(v, scope) for v in value]
        if not isinstance(value, str):
            return value
        text = value
        if text.startswith("${") and text.endswith("}") and _balanced(text[2:-1]):
            text = text[2:-1]
        parser = _Parser(_tokens(text), self, {**self._base, **scope})
        result = parser.expression()
        parser.expect("end")
        return result


def _balanced(text: str) -> bool:
    depth = 0
    for c in text:
        depth += {"{": 1, "}": -1}.get(c, 0)
        if depth < 0:
            return False
    return depth == 0


def _unquote(key: str) -> str:
    return key[1:-1] if len(key) >= 2 and key[0] == key[-1] == '"' else key


class _Parser:
    def __init__(self, tokens: list[tuple[str, Any]], ev: Evaluator, scope: dict[str, Any]) -> None:
        self.t = tokens
        self.i = 0
        self.ev = ev
        self.scope = scope

    # ---- token helpers
    def peek(self, offset: int = 0) -> tuple[str, Any]:
        return self.t[min(self.i + offset, len(self.t) - 1)]

    def take(self) -> tuple[str, Any]:
        tok = self.t[self.i]
        self.i += 1
        return tok

    def accept(self, value: str) -> bool:
        if self.peek()[1] == value and self.peek()[0] in ("op", "name"):
            self.i += 1
            return True
        return False

    def expect(self, value: str) -> None:
        kind, got = self.take()
        if (kind == "end" and value != "end") or (value != "end" and got != value):
            raise HclError(f"expected {value!r}, got {got!r}")

    # ---- grammar (precedence climbing)
    def expression(self) -> Any:
        cond = self.binary(0)
        if self.accept("?"):
            yes = self.expression()
            self.expect(":")
            no = self.expression()
            return yes if cond else no
        return cond

    _LEVELS = (("||",), ("&&",), ("==", "!="), ("<", "<=", ">", ">="), ("+", "-"), ("*", "/", "%"))

    def binary(self, level: int) -> Any:
        if level == len(self._LEVELS):
            return self.unary()
        left = self.binary(level + 1)
        while self.peek()[0] == "op" and self.peek()[1] in self._LEVELS[level]:
            op = self.take()[1]
            right = self.binary(level + 1)
            left = _apply(op, left, right)
        return left

    def unary(self) -> Any:
        if self.accept("!"):
            return not self.unary()
        if self.accept("-"):
            return -self.unary()
        return self.postfix(self.primary())

    def postfix(self, value: Any) -> Any:
        while True:
            if self.peek()[1] == "." and self.peek()[0] == "op":
                self.take()
                _, name = self.take()
                value = _attr(value, name)
            elif self.peek()[1] == "[" and self.peek()[0] == "op":
                self.take()
                key = self.expression()
                self.expect("]")
                value = _index(value, key)
            else:
                return value

    def primary(self) -> Any:
        kind, tok = self.take()
        if kind == "num":
            return float(tok) if "." in tok else int(tok)
        if kind == "str":
            return self.template(tok)
        if kind == "op" and tok == "(":
            value = self.expression()
            self.expect(")")
            return value
        if kind == "op" and tok == "[":
            return self.tuple_()
        if kind == "op" and tok == "{":
            return self.object_()
        if kind == "name":
            if tok in ("true", "false"):
                return tok == "true"
            if tok == "null":
                return None
            if self.peek()[1] == "(":
                self.take()
                args: list[Any] = []
                while not self.accept(")"):
                    args.append(self.expression())
                    self.accept(",")
                    self.accept("...")
                if tok not in FUNCTIONS:
                    return Ref(f"{tok}(...)")
                return FUNCTIONS[tok](*args)
            if tok == "local":
                self.expect(".")
                return self.ev.local(self.take()[1])
            if tok in self.scope:
                return self.scope[tok]
            return Ref(tok)
        raise HclError(f"unexpected {tok!r}")

    def template(self, parts: list[Any]) -> Any:
        values = [p if isinstance(p, str) else _Parser(p, self.ev, self.scope).expression() for p in parts]
        if len(values) == 3 and values[0] == values[2] == "" and not isinstance(parts[1], str):
            return values[1]  # "${x}" keeps x's type
        return "".join(str(v) if not isinstance(v, bool) else str(v).lower() for v in values)

    def _for_head(self) -> tuple[list[str], Any]:
        names = [self.take()[1]]
        if self.accept(","):
            names.append(self.take()[1])
        self.expect("in")
        collection = self.expression()
        self.expect(":")
        return names, collection

    def _iterate(self, names: list[str], collection: Any) -> list[dict[str, Any]]:
        if isinstance(collection, dict):
            pairs = list(collection.items())
        else:
            pairs = list(enumerate(collection))
        scopes = []
        for key, value in pairs:
            bound = {names[0]: value} if len(names) == 1 else {names[0]: key, names[1]: value}
            scopes.append({**self.scope, **bound})
        return scopes

    def _sub(self, start: int, scope: dict[str, Any]) -> tuple[_Parser, Any]:
        sub = _Parser(self.t, self.ev, scope)
        sub.i = start
        return sub, None

    def tuple_(self) -> Any:
        if self.accept("for"):
            names, collection = self._for_head()
            start = self.i
            out: list[Any] = []
            end = None
            for scope in self._iterate(names, collection):
                sub, _ = self._sub(start, scope)
                value = sub.expression()
                keep = sub.expression() if sub.accept("if") else True
                sub.expect("]")
                end = sub.i
                if keep:
                    out.append(value)
            self.i = end if end is not None else self._skip(start, "]")
            return out
        items: list[Any] = []
        while not self.accept("]"):
            items.append(self.expression())
            self.accept(",")
        return items

    def object_(self) -> Any:
        if self.accept("for"):
            names, collection = self._for_head()
            start = self.i
            out: dict[Any, Any] = {}
            end = None
            for scope in self._iterate(names, collection):
                sub, _ = self._sub(start, scope)
                key = sub.expression()
                sub.expect("=>")
                value = sub.expression()
                keep = sub.expression() if sub.accept("if") else True
                sub.expect("}")
                end = sub.i
                if keep:
                    out[key] = value
            self.i = end if end is not None else self._skip(start, "}")
            return out
        obj: dict[str, Any] = {}
        while not self.accept("}"):
            kind, key = self.take()
            name = key if kind == "name" else self.template(key) if kind == "str" else key
            if not (self.accept("=") or self.accept(":")):
                raise HclError(f"expected = after {name!r}")
            obj[str(name)] = self.expression()
            self.accept(",")
        return obj

    def _skip(self, start: int, closer: str) -> int:
        """Past the closing bracket of an empty for-expression (its body was never evaluated)."""
        depth, i = 0, start
        while True:
            kind, tok = self.t[i]
            if kind == "end":
                raise HclError("unbalanced brackets")
            if kind == "op" and tok in "[{(":
                depth += 1
            elif kind == "op" and tok in "]})":
                if depth == 0 and tok == closer:
                    return i + 1
                depth -= 1
            i += 1


def _attr(value: Any, name: str) -> Any:
    if isinstance(value, dict):
        return value.get(name, Ref(f"?.{name}"))
    if isinstance(value, Ref):
        return Ref(f"{value.path}.{name}")
    raise HclError(f"no attribute {name} on {value!r}")


def _index(value: Any, key: Any) -> Any:
    if isinstance(value, Ref):
        return Ref(f"{value.path}[{key}]")
    try:
        return value[key]
    except (KeyError, IndexError, TypeError):
        raise HclError(f"no element {key!r}") from None


def _apply(op: str, a: Any, b: Any) -> Any:
    ops: dict[str, Callable[[Any, Any], Any]] = {
        "||": lambda x, y: x or y, "&&": lambda x, y: x and y, "==": lambda x, y: x == y,
        "!=": lambda x, y: x != y, "<": lambda x, y: x < y, "<=": lambda x, y: x <= y, ">": lambda x, y: x > y,
        ">=": lambda x, y: x >= y, "+": lambda x, y: x + y, "-": lambda x, y: x - y, "*": lambda x, y: x * y,
        "/": lambda x, y: x / y, "%": lambda x, y: x % y,
    }
    return ops[op](a, b)
