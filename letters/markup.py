"""The letter template markup: the only thing a letter template's subject or body may contain.

A template is plain text, never HTML. The renderer here writes every HTML tag of a letter itself; everything
a template or a merge value contains is printed as written (HTML-escaped), so no template text or officer
text is ever interpreted as markup, a link or a resource to load.

The markup, as administrators see it on the template pages:

- Paragraphs: leave a blank line between them. A single line break starts a new line in the same paragraph.
- Bold: two asterisks each side, ``**within 5 working days**`` (within one line).
- Bulleted list: start each line with a hyphen and a space, ``- Staffing``.
- Numbered list: start each line with its number, a full stop and a space, ``1. Staffing``, ``2. Medication``.
- Merge fields: ``{{ provider_name }}``; the names are those in ``letters.merge_fields.MERGE_FIELDS``.
- Tables: a paragraph that is only ``{{ improvement_plan }}`` or ``{{ conditions }}`` becomes that table.

Merge values are text too: the officer's text for a letter keeps its paragraphs (blank lines) and line
breaks; when ``{{ free_text }}`` is not a paragraph of its own its line breaks become new lines. The two
tables are built here from escaped cells.

``problems()`` is what saving a template checks: it refuses HTML, character references, scripts, web or file
addresses, CSS ``url(``, unknown merge fields and any other template syntax, and names the part it refused.
Rendering never relies on that check: a body forced into the database past it is still only printed.
"""

import html
import re
from dataclasses import dataclass

from .merge_fields import MERGE_FIELDS, TOKEN

TABLE_FIELDS = ("improvement_plan", "conditions")

MARKUP_SUMMARY = ("paragraphs separated by a blank line, **bold**, lists (lines starting with \"- \" or \"1. \") "
                  "and merge fields such as {{ provider_name }}")


@dataclass(frozen=True)
class Table:
    """A merge value the renderer draws as a table. Cells are plain text; they are escaped when drawn."""

    headers: tuple
    rows: tuple
    empty: str  # printed instead of the table when there are no rows

    def as_text(self) -> str:
        if not self.rows:
            return self.empty
        return "; ".join(", ".join(str(cell) for cell in row) for row in self.rows)


# ---------------------------------------------------------------------------------------------- rendering

_BLANK_LINE = re.compile(r"\n[ \t]*\n")
_ONLY_FIELD = re.compile(r"{{\s*([A-Za-z_][A-Za-z0-9_]*)\s*}}")
_BULLET = re.compile(r"[ \t]*- +(.*)")
_NUMBERED = re.compile(r"[ \t]*(\d{1,3})\. +(.*)")
_BOLD = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*")


def _normalise(text) -> str:
    return str(text or "").replace("\r\n", "\n").replace("\r", "\n")


def _escape_lines(text: str) -> str:
    """Escaped text whose line breaks become <br>."""
    return "<br>".join(html.escape(line) for line in _normalise(text).strip("\n").split("\n"))


def _fields(text: str, values: dict) -> str:
    """Escape `text`, putting each known merge field's escaped value in its place. Unknown ones print as typed."""
    out, pos = [], 0
    for match in TOKEN.finditer(text):
        out.append(html.escape(text[pos:match.start()]))
        name = match.group(1)
        if name in values:
            value = values[name]
            out.append(html.escape(value.as_text()) if isinstance(value, Table) else _escape_lines(str(value)))
        else:
            out.append(html.escape(match.group(0)))
        pos = match.end()
    out.append(html.escape(text[pos:]))
    return "".join(out)


def _inline(text: str, values: dict) -> str:
    """One line of template text: **bold** and merge fields; everything else escaped."""
    out, pos = [], 0
    for match in _BOLD.finditer(text):
        out.append(_fields(text[pos:match.start()], values))
        out.append(f"<strong>{_fields(match.group(1), values)}</strong>")
        pos = match.end()
    out.append(_fields(text[pos:], values))
    return "".join(out)


def _table_html(table: Table) -> str:
    if not table.rows:
        return f"<p>{html.escape(table.empty)}</p>"
    head = "".join(f'<th scope="col">{html.escape(str(h))}</th>' for h in table.headers)
    body = "".join("<tr>" + "".join(f"<td>{_escape_lines(str(c))}</td>" for c in row) + "</tr>"
                   for row in table.rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _text_paragraphs(value: str) -> str:
    """A merge value that is a paragraph of its own (the officer's text): blank lines make paragraphs."""
    return "\n".join(f"<p>{_escape_lines(part)}</p>" for part in _BLANK_LINE.split(_normalise(value).strip())
                     if part.strip())


def _block_html(block: str, values: dict) -> str:
    """A paragraph of template text: runs of "- " lines and "1. " lines become lists, other lines a paragraph."""
    runs = []  # [kind, start, [lines]]
    for line in block.split("\n"):
        if not line.strip():
            continue
        bullet, numbered = _BULLET.fullmatch(line), _NUMBERED.fullmatch(line)
        kind, content = ("ul", bullet.group(1)) if bullet else ("ol", numbered.group(2)) if numbered \
            else ("p", line.strip())
        if not runs or runs[-1][0] != kind:
            runs.append([kind, int(numbered.group(1)) if numbered else 1, []])
        runs[-1][2].append(content)
    parts = []
    for kind, start, lines in runs:
        if kind == "p":
            parts.append("<p>" + "<br>".join(_inline(line, values) for line in lines) + "</p>")
        else:
            start_attr = f' start="{start}"' if kind == "ol" and start != 1 else ""
            items = "".join(f"<li>{_inline(line, values)}</li>" for line in lines)
            parts.append(f"<{kind}{start_attr}>{items}</{kind}>")
    return "\n".join(parts)


def render_body(text: str, values: dict) -> str:
    """The HTML of a letter body. Every tag in it is written here; all text and values are escaped."""
    parts = []
    for block in _BLANK_LINE.split(_normalise(text).strip()):
        if not block.strip():
            continue
        only = _ONLY_FIELD.fullmatch(block.strip())
        if only and only.group(1) in values:
            value = values[only.group(1)]
            parts.append(_table_html(value) if isinstance(value, Table) else _text_paragraphs(str(value)))
        else:
            parts.append(_block_html(block, values))
    return "\n".join(part for part in parts if part)


def render_text(text: str, values: dict) -> str:
    """Plain text (a subject): merge fields filled in, line breaks as spaces. Not escaped: the page escapes it,
    once."""
    def value(match):
        name = match.group(1)
        if name not in values:
            return match.group(0)
        found = values[name]
        return " ".join((found.as_text() if isinstance(found, Table) else str(found)).split())
    return TOKEN.sub(value, _normalise(text).replace("\n", " "))


# --------------------------------------------------------------------------------------------- validation

_SCRIPT = re.compile(r"<\s*/?\s*script\b[^>\n]{0,80}>?|\b(?:java|vb)script\s*:\S*", re.I)
_HTML = re.compile(r"<\s*[/!?]?\s*[A-Za-z][^<>\n]{0,80}>?|<[^<>\n]{0,80}>")
_ENTITY = re.compile(r"&#[xX]?[0-9A-Fa-f]+;?|&[A-Za-z][A-Za-z0-9]{1,31};")
_CSS = re.compile(r"\burl\s*\([^)\n]{0,80}\)?|@import\b\S*|\bexpression\s*\(", re.I)
_ADDRESS = re.compile(
    r"\b(?:https?|s?ftps?|gopher|smb|ldaps?|letter-asset)\s*:[^\s\"'<>()]*"  # schemes nobody writes in prose
    r"|\b(?:file|data|mailto|blob|cid|about)\s*:(?=\S)[^\s\"'<>()]*"  # "data: we ..." is prose; "data:x/y" not
    r"|\bwww\.[^\s\"'<>()]*"
    r"|(?<![\w:/])//[\w\[][^\s\"'<>()]*"  # //host/path
    r"|\\\\[\w.]+\\?[^\s\"'<>()]*",  # \\server\share
    re.I,
)
_TEMPLATE_TAG = re.compile(r"{%.{0,80}?(?:%}|$)|{#.{0,80}?(?:#}|$)|%}|#}", re.M)
_LEFTOVER_BRACES = re.compile(r"{{[^{}\n]{0,60}(?:}})?|[^{}\n]{0,60}}}")


def _shorten(part: str) -> str:
    part = " ".join(part.split())
    return part if len(part) <= 60 else part[:57] + "..."


def problems(text: str, *, part: str = "body") -> list[str]:
    """Why `text` cannot be saved as a template's `part` ("subject" or "body"), naming what was refused.
    An empty list means it is valid."""
    text = _normalise(text)
    found = []

    def first(pattern, message):
        match = pattern.search(text)
        if match:
            found.append(message.replace("{part}", part).replace("{bad}", _shorten(match.group(0))))
        return match

    first(_SCRIPT, "The {part} contains a script: {bad}. Letters are printed text: they cannot run scripts.")
    first(_HTML, "The {part} contains HTML: {bad}. Use the letter markup only: " + MARKUP_SUMMARY + ".")
    first(_ENTITY, "The {part} contains an HTML character code: {bad}. Type the character itself instead.")
    first(_CSS, "The {part} contains a style rule: {bad}. The letter's layout and fonts are fixed; "
                "use the letter markup only.")
    first(_ADDRESS, "The {part} contains a web or file address: {bad}. Letters cannot link to, or include, "
                    "other files or websites.")
    first(_TEMPLATE_TAG, "The {part} contains template code: {bad}. Only merge fields are allowed, written as "
                         "{{ name }}.")
    if not found or not any("template code" in message for message in found):
        leftover = _LEFTOVER_BRACES.search(TOKEN.sub("", text))
        if leftover:
            found.append(f"The {part} contains template code: {_shorten(leftover.group(0))}. Write merge fields "
                         "as {{ name }}, with a name from the list below.")
    unknown = []
    for match in TOKEN.finditer(text):
        if match.group(1) not in MERGE_FIELDS and match.group(0) not in unknown:
            unknown.append(match.group(0))
    if unknown:
        found.append(("Unknown merge field: " if len(unknown) == 1 else "Unknown merge fields: ")
                     + ", ".join(_shorten(u) for u in unknown[:5]) + ". The merge fields are listed below.")
    for name in TABLE_FIELDS:
        for match in TOKEN.finditer(text):
            if match.group(1) != name:
                continue
            if part != "body":
                found.append(f"{{{{ {name} }}}} is a table: it can only go in the body, as a paragraph of its own.")
                break
            if not _alone_in_paragraph(text, match):
                found.append(f"{{{{ {name} }}}} is a table: put it in a paragraph of its own, with a blank line "
                             "before and after it.")
                break
    return found


def _alone_in_paragraph(text: str, match) -> bool:
    before = text[:match.start()].rsplit("\n", 1)[-1]
    after = text[match.end():].split("\n", 1)[0]
    if before.strip() or after.strip():
        return False
    lines_before = text[:match.start()].split("\n")[:-1]
    lines_after = text[match.end():].split("\n")[1:]
    return (not lines_before or not lines_before[-1].strip()) and (not lines_after or not lines_after[0].strip())


def template_errors(*, subject: str, body: str) -> dict:
    """{field: [messages]} for a template version's subject and body; empty when both are valid."""
    errors = {}
    for name, text in (("subject", subject), ("body", body)):
        found = problems(text, part=name)
        if found:
            errors[name] = found
    return errors
