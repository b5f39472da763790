"""Read and write Laravel .env files the way vlucas/phpdotenv v5 reads them.

Laravel loads ``.env`` with phpdotenv v5 (Debian: php-vlucas-phpdotenv, 5.6 on Debian 13),
whose parser is stricter and odder than a shell's: an unquoted ``#`` starts a comment
even without a space before it, a space inside an unquoted value makes the whole file
unreadable, and a line holding ``="`` without a closing quote swallows the lines after
it. The parser here follows phpdotenv's lexer, state machine and multi-line rule step by
step, so that a value is compared with what Laravel would really load and a value we
write is read back by Laravel exactly as given.

Everything here is a pure function of text; the module ``laravel_env`` does the file work.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass, field

KEY_PATTERN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
HIDDEN = "<hidden>"
HIDDEN_CHANGED = "<hidden: changed>"
HIDDEN_UNREADABLE = "<hidden: unreadable>"
HIDDEN_UNREADABLE_LINE = "<hidden: unreadable line>"

# Names whose values are masked in diffs unless the task lists them under `values`.
_SECRET_NAME = re.compile(r"PASS|PWD|SECRET|KEY|TOKEN|SALT|PRIVATE|CREDENTIAL|AUTH|DSN|SIGNATURE", re.IGNORECASE)
# A URL carrying a password (redis://:pw@host, mysql://user:pw@host) is a secret whatever its key is called.
_URL_CREDENTIALS = re.compile(r"://[^/\s@]*:[^/\s@]+@")

# Left unquoted only when every character is one of these: what operators write by hand
# (local, 3306, true, https://donate.example) stays readable, anything else is quoted.
_BARE = re.compile(r"^[A-Za-z0-9_.,:/@+-]+$")

# PHP's trim() and ctype_space() character sets; Python's strip() and isspace() know many more.
_PHP_TRIM = " \t\n\r\0\x0b"
_PHP_SPACE = frozenset(" \t\n\r\x0b\x0c")
# phpdotenv's lexer: newlines, other white space, the five special characters, runs of the rest.
_LEXEME = re.compile(r"[\r\n]{1,1000}|[ \t\x0b\x0c]{1,1000}|\\|'|\"|#|\$|[^ \t\n\r\x0b\x0c\\'\"#$]{1,1000}")
_VARIABLE = re.compile(r"\$\{[a-zA-Z0-9_.]+\}")
_LINE_BREAK = re.compile(r"(\r\n|\n|\r)")
_BOM = "\ufeff"

_INITIAL, _UNQUOTED, _SINGLE, _DOUBLE, _ESCAPE, _WHITESPACE, _COMMENT = range(7)
_ESCAPES = {"f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}


class EnvError(ValueError):
    """A value, key or file this module refuses; the message names the key, never its value."""


@dataclass(frozen=True)
class Value:
    """A value as phpdotenv parses it, before it resolves ``${NAME}`` references."""

    chars: str
    interpolates: bool = False


@dataclass
class Item:
    """One logical line of a .env file: physical lines ``start`` to ``end`` (exclusive)."""

    kind: str  # "entry", "blank", "comment" or "unreadable"
    start: int
    end: int
    name: str | None = None
    # None for a bare `NAME` line, which phpdotenv reads as "unset NAME".
    value: Value | None = None
    reason: str = ""
    # The inline comment after the value (" # why"), kept when the value is rewritten.
    comment: str = ""


@dataclass
class Document:
    lines: list[tuple[str, str]]  # (text, line ending) per physical line
    items: list[Item]
    bom: bool = False

    def eol(self) -> str:
        """The line ending the file already uses, for lines added to it."""
        return next((eol for _, eol in self.lines if eol), "\n")


@dataclass
class Plan:
    """What writing the requested keys does to a file, and how the diff may show it."""

    content: str
    keys_changed: list[str] = field(default_factory=list)
    keys_added: list[str] = field(default_factory=list)
    keys_removed: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    before_shown: str = ""
    after_shown: str = ""


def looks_secret(name: str) -> bool:
    return bool(_SECRET_NAME.search(name))


def _php_trim(text: str) -> str:
    return text.strip(_PHP_TRIM)


def _is_space(lexeme: str) -> bool:
    return bool(lexeme) and all(char in _PHP_SPACE for char in lexeme)


def _valid_name(name: str) -> bool:
    # phpdotenv: [\p{Ll}\p{Lu}\p{M}\p{N}_.]+ ; letters without case (Bengali, Chinese) are refused.
    return bool(name) and all(
        char in "_." or unicodedata.category(char) in {"Ll", "Lu"} or unicodedata.category(char)[0] in "MN"
        for char in name
    )


def _closes_quote(line: str, started: bool) -> bool:
    """phpdotenv's test for the line that ends a multi-line double-quoted value."""
    if line == '"':
        return True
    text = line.replace("\\\\", "")
    quotes = sum(1 for i in range(len(text) - 1) if text[i + 1] == '"' and text[i] != "\\")
    return quotes > 1 if started else quotes >= 1


def opens_multiline(line: str) -> bool:
    """True when phpdotenv would join this line with the following ones into one value."""
    return '="' in line and not _closes_quote(line, True)


def parse_name(raw: str) -> str | None:
    """The variable name phpdotenv reads from the text before ``=``, or None when it refuses it."""
    name = raw
    if len(name) > 8 and name.startswith("export") and name[6] in _PHP_SPACE:
        name = name[6:].lstrip(_PHP_TRIM)
    if len(name) >= 3 and name[0] == name[-1] and name[0] in "'\"":
        name = name[1:-1]
    return name if _valid_name(name) else None


def _read_value(raw: str) -> tuple[Value, str]:
    """The value phpdotenv reads from the text after ``=``, and the comment that follows it."""
    if _php_trim(raw) == "":
        return Value(""), ""
    chars: list[str] = []
    variables: list[int] = []
    state = _INITIAL
    length = offset = 0
    space_at: int | None = None
    comment = ""
    for lexeme in _LEXEME.findall(raw):
        out, variable, was = "", False, state
        if state in (_INITIAL, _UNQUOTED):
            if state == _INITIAL and lexeme in ("'", '"'):
                state = _SINGLE if lexeme == "'" else _DOUBLE
            elif lexeme == "#":
                state = _COMMENT
            elif state == _UNQUOTED and _is_space(lexeme):
                state = _WHITESPACE
            else:
                out, variable, state = lexeme, lexeme == "$", _UNQUOTED
        elif state == _SINGLE:
            if lexeme == "'":
                state = _WHITESPACE
            else:
                out = lexeme
        elif state == _DOUBLE:
            if lexeme == '"':
                state = _WHITESPACE
            elif lexeme == "\\":
                state = _ESCAPE
            else:
                out, variable = lexeme, lexeme == "$"
        elif state == _ESCAPE:
            if lexeme in ('"', "\\", "$"):
                out = lexeme
            elif lexeme[0] in _ESCAPES:
                out = _ESCAPES[lexeme[0]] + lexeme[1:]
            else:
                raise EnvError("an unexpected escape sequence")
            state = _DOUBLE
        elif state == _WHITESPACE:
            if lexeme == "#":
                state = _COMMENT
            elif not _is_space(lexeme):
                raise EnvError("unexpected whitespace")
        if state == _COMMENT and was != _COMMENT:
            comment = raw[offset if space_at is None else space_at :]
        if variable:
            variables.append(length)
        chars.append(out)
        length += len(out)
        space_at = (offset if space_at is None else space_at) if _is_space(lexeme) else None
        offset += len(lexeme)
    if state in (_SINGLE, _DOUBLE, _ESCAPE):
        raise EnvError("a missing closing quote")
    text = "".join(chars)
    return Value(text, any(_VARIABLE.match(text, position) for position in variables)), comment


def parse_value(raw: str) -> Value:
    """The value phpdotenv reads from the text after ``=``; raises EnvError with its reason."""
    return _read_value(raw)[0]


def _read_entry(raw: str) -> tuple[str, Value | None, str]:
    if "=" in raw:
        name_part, value_part = (_php_trim(part) for part in raw.split("=", 1))
    else:
        name_part, value_part = raw, None
    if name_part == "":
        raise EnvError("an unexpected equals")
    name = parse_name(name_part)
    if name is None:
        raise EnvError("an invalid name")
    if value_part is None:
        return name, None, ""
    return (name, *_read_value(value_part))


def parse_entry(raw: str) -> tuple[str, Value | None]:
    """Name and value of one logical line; raises EnvError naming phpdotenv's reason."""
    name, value, _ = _read_entry(raw)
    return name, value


def _guess_name(raw: str) -> str | None:
    if "=" not in raw:
        return None
    return parse_name(_php_trim(raw.split("=", 1)[0]))


def _item(kind: str, start: int, end: int, raw: str) -> Item:
    if kind != "entry":
        return Item(kind, start, end)
    try:
        name, value, comment = _read_entry(raw)
    except EnvError as error:
        return Item("unreadable", start, end, name=_guess_name(raw), reason=str(error))
    return Item("entry", start, end, name=name, value=value, comment=comment)


def parse(content: str) -> Document:
    """Split ``content`` into the logical lines phpdotenv sees, keeping every byte of it."""
    bom = content.startswith(_BOM)
    if bom:
        content = content[1:]
    parts = _LINE_BREAK.split(content)
    lines = list(zip(parts[0::2], [*parts[1::2], ""], strict=True))
    if lines and lines[-1] == ("", ""):
        lines.pop()
    texts = [text for text, _ in lines]
    items: list[Item] = []
    index = 0
    while index < len(texts):
        end = index + 1
        if opens_multiline(texts[index]):
            while end < len(texts) and not _closes_quote(texts[end], False):
                end += 1
            if end == len(texts):
                # phpdotenv silently drops this line and every one after it. Reading on from
                # the next line keeps the later keys visible, so that a fix of this one key
                # (or the warning about it) makes the file whole again.
                items.append(
                    Item(
                        "unreadable",
                        index,
                        index + 1,
                        name=_guess_name(texts[index]),
                        reason="a double-quoted value that is never closed, so phpdotenv ignores every later line",
                    )
                )
                index += 1
                continue
            end += 1
        raw = "\n".join(texts[index:end])
        trimmed = _php_trim(raw)
        kind = "blank" if trimmed == "" else "comment" if trimmed.startswith("#") else "entry"
        items.append(_item(kind, index, end, raw))
        index = end
    return Document(lines, items, bom)


def value_text(key: str, value: object) -> str:
    """The text a task's value stands for; refuses what a .env line cannot carry, naming the key."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise EnvError(f"{key}: the value is not a finite number")
        return repr(value)
    if value is None:
        raise EnvError(f'{key}: the value is null; give a string ("" for an empty value) or list {key} in absent')
    if not isinstance(value, str):
        raise EnvError(f"{key}: the value is a {type(value).__name__}; a .env value is a string, number or boolean")
    for char, what in (("\n", "a newline"), ("\r", "a carriage return"), ("\0", "a NUL character")):
        if char in value:
            raise EnvError(f"{key}: the value contains {what}, which a .env line cannot carry")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise EnvError(f"{key}: the value is not valid UTF-8 text") from None
    return value


def check_key(key: object, where: str) -> str:
    if not isinstance(key, str) or not KEY_PATTERN.match(key):
        raise EnvError(
            f"{where}: {key!r} is not a variable name; use letters, digits and _ and do not start with a digit"
        )
    return key


def render_value(value: str) -> str:
    """The text after ``=`` that phpdotenv reads back as exactly ``value``, with no ${} expansion."""
    if value == "" or _BARE.match(value):
        return value
    single = f"'{value}'"
    # Single quotes are literal; they only fail for a ' inside, or for a =" that would open a multi-line value.
    if "'" not in value and not opens_multiline("K=" + single):
        return single
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("$", "\\$")
    return f'"{escaped}"'


def render_line(key: str, value: str, comment: str = "") -> str:
    """``KEY=value`` as phpdotenv reads it back exactly, with an inline comment kept after it."""
    if comment and not comment[0].isspace():
        comment = " " + comment
    line = f"{key}={render_value(value)}{comment}"
    # A line that reads back differently must never be written, whatever the reason.
    try:
        read_back = parse_entry(line)
    except EnvError:
        read_back = None
    if read_back != (key, Value(value)) or opens_multiline(line):
        raise EnvError(f"{key}: the value cannot be written so that phpdotenv reads it back unchanged")
    return line


def _hidden(name: str | None, value: Value | str | None, secrets: set[str], shown: set[str]) -> bool:
    if name is None:
        return False
    if name in secrets:
        return True
    if name in shown:
        return False
    chars = value.chars if isinstance(value, Value) else value or ""
    return looks_secret(name) or bool(_URL_CREDENTIALS.search(chars))


def _prefix(text: str) -> str:
    return text.split("=", 1)[0] + "="


def _shown_item(doc: Document, item: Item, secrets: set[str], shown: set[str]) -> list[str]:
    """The item's lines as a diff may show them: secret values replaced by a marker."""
    lines = doc.lines[item.start : item.end]
    eol = lines[-1][1]
    if item.kind == "unreadable":
        if item.name is None:
            return [HIDDEN_UNREADABLE_LINE + eol]
        return [_prefix(lines[0][0]) + HIDDEN_UNREADABLE + eol]
    if item.kind == "entry" and item.value is not None and _hidden(item.name, item.value, secrets, shown):
        return [_prefix(lines[0][0]) + HIDDEN + eol]
    if item.kind == "comment" and len(lines) > 1:
        # Lines that phpdotenv reads as one comment may still look like KEY=secret to a reader.
        marker = f"<hidden: read by phpdotenv as part of the comment on line {item.start + 1}>"
        return [lines[0][0] + lines[0][1]] + [marker + line_eol for _, line_eol in lines[1:]]
    return [text + line_eol for text, line_eol in lines]


def _lines_label(item: Item) -> str:
    if item.end - item.start == 1:
        return f"line {item.start + 1}"
    return f"lines {item.start + 1}-{item.end}"


def plan(content: str | None, values: dict, secrets: dict, absent: list) -> Plan:
    """Work out the new text of a .env file holding ``values`` and ``secrets`` but none of ``absent``.

    ``content`` is None for a file that does not exist yet. Comments, blank lines and
    keys not named stay byte for byte where they are; a named key is rewritten where it
    first appears, and only when phpdotenv would read a different value from it.
    """
    desired: dict[str, str] = {}
    for where, given in (("values", values), ("secrets", secrets)):
        for key, value in given.items():
            check_key(key, where)
            if key in desired:
                raise EnvError(f"{key} is in both values and secrets; give it once")
            desired[key] = value_text(key, value)
    removed_keys = set()
    for key in absent:
        check_key(key, "absent")
        if key in desired:
            raise EnvError(f"{key} is in absent and also given a value; give one or the other")
        removed_keys.add(key)
    secret_keys, shown_keys = set(secrets), set(values)
    rendered = {key: render_line(key, value) for key, value in desired.items()}

    doc = parse(content or "")
    result = Plan(content="")
    out: list[str] = []
    before: list[str] = []
    after: list[str] = []
    first_seen: dict[str, int] = {}

    def note(names: list[str], name: str) -> None:
        if name not in names:
            names.append(name)

    for item in doc.items:
        original = [text + eol for text, eol in doc.lines[item.start : item.end]]
        shown = _shown_item(doc, item, secret_keys, shown_keys)
        before.extend(shown)
        name = item.name if item.kind in ("entry", "unreadable") else None
        if name in removed_keys:
            note(result.keys_removed, name)
            continue
        if name in desired:
            if name in first_seen:
                result.warnings.append(
                    f"{_lines_label(item)}: {name} appears again (first on line {first_seen[name]}); removed, "
                    "because phpdotenv lets the last one win and the value now stands on the first"
                )
                note(result.keys_changed, name)
                continue
            first_seen[name] = item.start + 1
            value = item.value
            if item.kind == "entry" and value is not None and value == Value(desired[name]):
                out.extend(original)
                after.extend(shown)
                continue
            if item.kind == "unreadable":
                result.warnings.append(
                    f"{_lines_label(item)}: phpdotenv cannot read {name} ({item.reason}); rewritten with the new value"
                )
            eol = doc.lines[item.end - 1][1]
            line = render_line(name, desired[name], item.comment)
            out.append(line + eol)
            hidden = _hidden(name, desired[name], secret_keys, shown_keys)
            after.append(f"{name}={HIDDEN_CHANGED}{eol}" if hidden else line + eol)
            note(result.keys_changed, name)
            continue
        if item.kind == "unreadable":
            label = f"{name} " if name else ""
            result.warnings.append(
                f"{_lines_label(item)}: phpdotenv cannot read this {label}line ({item.reason}) and Laravel "
                "will refuse the whole file; left as it is"
            )
        elif item.kind == "comment" and item.end - item.start > 1:
            result.warnings.append(
                f"{_lines_label(item)}: phpdotenv reads these lines as one comment, because line "
                f'{item.start + 1} holds =" without a closing quote; keys on them are not loaded'
            )
        out.extend(original)
        after.extend(shown)

    missing = [key for key in desired if key not in first_seen]
    if missing:
        eol = doc.eol()
        for lines in (out, after):
            if lines and not lines[-1].endswith(("\n", "\r")):
                lines[-1] += eol
        for key in missing:
            out.append(rendered[key] + eol)
            hidden = _hidden(key, desired[key], secret_keys, shown_keys)
            after.append(f"{key}={HIDDEN}{eol}" if hidden else rendered[key] + eol)
            result.keys_added.append(key)

    bom = _BOM if doc.bom else ""
    result.content = bom + "".join(out)
    result.before_shown = "" if content is None else bom + "".join(before)
    result.after_shown = bom + "".join(after)
    return result
