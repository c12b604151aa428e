"""Turns python-hcl2's raw Lark tree into model nodes.

A tree spans from its first token to its last. Lark positions are 1-based with an exclusive
end column; model ranges are 0-based. The
tree is dropped after conversion, so parsed blocks stay small in memory.
"""

from __future__ import annotations

import bisect
import json
import re
from collections.abc import Iterator
from typing import Any

from lark import Token, Tree

from iacperf.rules.model import (
    Entry,
    ExpressionNode,
    MappingNode,
    Node,
    Position,
    ScalarNode,
    SequenceNode,
    SourceRange,
)
from iacperf.server.parsing.hcl_templates import is_reference_root, template_references

_ESCAPES = re.compile(r"\\(u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|.)")


def first_token(tree: Tree[Any]) -> Token | None:
    """The first token under ``tree``, where its text starts (None: it holds none)."""
    for child in tree.children:
        if isinstance(child, Token):
            return child
        if isinstance(child, Tree):
            found = first_token(child)
            if found is not None:
                return found
    return None


def last_token(tree: Tree[Any]) -> Token | None:
    """The last token under ``tree``, where its text ends (None: it holds none)."""
    for child in reversed(tree.children):
        if isinstance(child, Token):
            return child
        if isinstance(child, Tree):
            found = last_token(child)
            if found is not None:
                return found
    return None


class Converter:
    """Converts the trees of one chunk of text (used to slice expression text)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._line_starts = [0]
        for match in re.finditer("\n", text):
            self._line_starts.append(match.end())

    # -- positions -----------------------------------------------------------

    def range_of(self, item: Tree[Any] | Token) -> SourceRange:
        if isinstance(item, Token):
            line, column = item.line, item.column
            end_line, end_column = item.end_line, item.end_column
        else:
            first, last = first_token(item), last_token(item)
            assert first is not None and last is not None
            line, column = first.line, first.column
            end_line, end_column = last.end_line, last.end_column
        assert line is not None and column is not None
        assert end_line is not None and end_column is not None
        return SourceRange(Position(line - 1, column - 1), Position(end_line - 1, end_column - 1))

    def _content_end(self, tree: Tree[Any]) -> Position:
        """Where an expression's own text ends: python-hcl2 ends a binary operation
        (``var.n * 2``) with the newline or comment that follows it."""
        node: Tree[Any] | Token = tree
        while isinstance(node, Tree):
            content = [child for child in node.children if not _is_trivia(child)]
            if not content or content[-1] is node.children[-1]:
                break
            node = content[-1]
        return self.range_of(node).end

    def slice(self, source_range: SourceRange) -> str:
        start = self._offset(source_range.start)
        end = self._offset(source_range.end)
        return self.text[start:end]

    def _offset(self, position: Position) -> int:
        if position.line >= len(self._line_starts):
            return len(self.text)
        return self._line_starts[position.line] + position.character

    def _trim_space(self, source_range: SourceRange) -> SourceRange:
        """End the range on its last non-blank character: python-hcl2 ends some
        expressions (``a && b`` as an attribute value) after the newline, or even after
        the indentation of the next line, which the next line's own parse never sees."""
        start = self._offset(source_range.start)
        end = self._offset(source_range.end)
        trimmed = len(self.text[start:end].rstrip(" \t\r\n")) + start
        if trimmed == end:
            return source_range
        line = bisect.bisect_right(self._line_starts, trimmed) - 1
        return SourceRange(source_range.start, Position(line, trimmed - self._line_starts[line]))

    def _trim_newline(self, source_range: SourceRange) -> SourceRange:
        """Heredoc tokens end after their closing newline; end the range on the marker."""
        end = source_range.end
        if end.character != 0 or end.line == source_range.start.line:
            return source_range
        line = end.line - 1
        start = self._line_starts[line]
        stop = self._line_starts[end.line] - 1
        if stop > start and self.text[stop - 1] == "\r":
            stop -= 1
        return SourceRange(source_range.start, Position(line, stop - start))

    # -- bodies --------------------------------------------------------------

    def body(
        self,
        body: Tree[Any],
        open_token: Token | None = None,
        close_token: Token | None = None,
    ) -> MappingNode:
        entries = tuple(self.entries(body))
        if open_token is not None and close_token is not None:
            # A body lies between its braces. (Lark's own body position starts at a newline
            # token, after the "\r" of a CRLF, or at the first attribute; {} has none.)
            source_range = SourceRange(
                self.range_of(open_token).end, self.range_of(close_token).start
            )
        elif first_token(body) is not None:
            source_range = self.range_of(body)
        else:
            source_range = SourceRange(Position(0, 0), Position(0, 0))
        return MappingNode(
            range=source_range,
            entries=entries,
            indent=entries[0].range.start.character if entries else None,
            open_range=self.range_of(open_token) if open_token is not None else None,
            close_range=self.range_of(close_token) if close_token is not None else None,
        )

    def entries(self, body: Tree[Any]) -> Iterator[Entry]:
        for child in body.children:
            if not isinstance(child, Tree):
                continue
            if child.data == "attribute":
                yield self.attribute(child)
            elif child.data == "block":
                yield self.block(child)

    def attribute(self, tree: Tree[Any]) -> Entry:
        name_tree = tree.children[0]
        value = self.expression(tree.children[-1])
        return Entry(
            key=self.name(name_tree),
            key_range=self.range_of(name_tree),
            value=value,
            range=SourceRange(self.range_of(tree).start, value.range.end),
        )

    def block(self, tree: Tree[Any]) -> Entry:
        children = tree.children
        name_tree = children[0]
        labels: list[str] = []
        header_end = self.range_of(name_tree).end
        open_token: Token | None = None
        close_token: Token | None = None
        body_tree: Tree[Any] | None = None
        for child in children[1:]:
            if isinstance(child, Token):
                if child.type == "LBRACE":
                    open_token = child
                elif child.type == "RBRACE":
                    close_token = child
            elif child.data == "body":
                body_tree = child
            elif child.data == "string":
                labels.append(self.string_value(child) or "")
                header_end = self.range_of(child).end
            elif child.data in ("identifier", "keyword", "literal_value"):
                labels.append(self.name(child))
                header_end = self.range_of(child).end
        assert body_tree is not None
        body = self.body(body_tree, open_token, close_token)
        return Entry(
            key=self.name(name_tree),
            # The header: block type and labels (``resource "aws_instance" "web"``).
            key_range=SourceRange(self.range_of(name_tree).start, header_end),
            value=body,
            range=self.range_of(tree),
            is_block=True,
            labels=tuple(labels),
        )

    @staticmethod
    def name(tree: Tree[Any] | Token) -> str:
        if isinstance(tree, Token):
            return str(tree)
        token = tree.children[0]
        if isinstance(token, Tree):
            return Converter.name(token)
        return str(token)

    # -- expressions ---------------------------------------------------------

    def expression(self, tree: Tree[Any] | Token) -> Node:
        if isinstance(tree, Token):
            return ExpressionNode(self.range_of(tree), str(tree))
        while tree.data == "expr_term" and len(tree.children) == 1:
            inner = tree.children[0]
            if not isinstance(inner, Tree):
                break
            tree = inner
        kind = tree.data
        source_range = SourceRange(self.range_of(tree).start, self._content_end(tree))
        if kind == "string":
            value = self.string_value(tree)
            if value is not None:
                return ScalarNode(source_range, value, '"')
        elif kind == "int_lit":
            return ScalarNode(source_range, int(str(tree.children[0])))
        elif kind == "float_lit":
            return ScalarNode(source_range, float(str(tree.children[0])))
        elif kind == "unary_op" and str(tree.children[0]) == "-":
            # python-hcl2 reads -1.5 as one literal but -1 as minus applied to 1.
            operand = self.expression(tree.children[-1])
            if isinstance(operand, ScalarNode) and type(operand.value) in (int, float):
                return ScalarNode(source_range, -operand.value)  # type: ignore[operator]
        elif kind == "literal_value":
            word = str(tree.children[0])
            return ScalarNode(source_range, {"true": True, "false": False}.get(word))
        elif kind == "tuple":
            items = tuple(
                self.expression(child)
                for child in tree.children
                if isinstance(child, Tree) and child.data != "new_line_or_comment"
            )
            return SequenceNode(source_range, items)
        elif kind == "object":
            return self.object(tree)
        elif kind in ("heredoc_template", "heredoc_template_trim"):
            source_range = self._trim_newline(source_range)
            body = self.heredoc_value(str(tree.children[0]), trim=kind.endswith("trim"))
            if "${" not in body and "%{" not in body:
                return ScalarNode(source_range, body, "<<")
            # python-hcl2 keeps a heredoc as one token: find its references in the text.
            text = self.slice(source_range)
            return ExpressionNode(source_range, text, tuple(template_references(text)))
        source_range = self._trim_space(source_range)
        text = self.slice(source_range)
        return ExpressionNode(source_range, text, tuple(self.references(tree)))

    def object(self, tree: Tree[Any]) -> MappingNode:
        entries: list[Entry] = []
        open_token = close_token = None
        for child in tree.children:
            if isinstance(child, Token):
                if child.type == "LBRACE":
                    open_token = child
                elif child.type == "RBRACE":
                    close_token = child
                continue
            if child.data != "object_elem":
                continue
            key_tree, value_tree = child.children[0], child.children[-1]
            key_node = self.expression(key_tree.children[0]) if key_tree.children else None
            if isinstance(key_node, ScalarNode):
                key = str(key_node.value)
            elif isinstance(key_node, ExpressionNode):
                key = key_node.text  # a bare name like Name, or a computed key
            else:
                key = self.slice(self.range_of(key_tree))
            value = self.expression(value_tree)
            entries.append(
                Entry(
                    key=key.strip("()"),
                    key_range=self.range_of(key_tree),
                    value=value,
                    range=SourceRange(self.range_of(child).start, value.range.end),
                )
            )
        return MappingNode(
            range=self.range_of(tree),
            entries=tuple(entries),
            flow=True,
            indent=entries[0].range.start.character if entries else None,
            open_range=self.range_of(open_token) if open_token is not None else None,
            close_range=self.range_of(close_token) if close_token is not None else None,
        )

    def string_value(self, tree: Tree[Any]) -> str | None:
        """The literal value of a quoted string, or None when it interpolates."""
        parts: list[str] = []
        for part in tree.children:
            if isinstance(part, Token):
                continue  # the quotes
            token = part.children[0]
            if not isinstance(token, Token):
                return None  # interpolation or directive
            if token.type == "STRING_CHARS":
                parts.append(_unescape(str(token)))
            elif token.type in ("ESCAPED_INTERPOLATION", "ESCAPED_DIRECTIVE"):
                parts.append(str(token)[1:])
            else:
                return None
        return "".join(parts)

    @staticmethod
    def heredoc_value(token: str, *, trim: bool) -> str:
        lines = token.split("\n")[1:-2]  # drop "<<EOF" and the closing marker line
        lines = [line.removesuffix("\r") for line in lines]
        if trim:
            indents = [len(line) - len(line.lstrip()) for line in lines if line.strip()]
            cut = min(indents, default=0)
            lines = [line[cut:] for line in lines]
        return "\n".join(lines) + ("\n" if lines else "")

    def references(self, tree: Tree[Any]) -> Iterator[str]:
        """Dotted names an expression refers to (``var.size``, ``aws_vpc.main.id``)."""
        for sub in tree.iter_subtrees_topdown():  # type: ignore[no-untyped-call]
            if sub.data != "get_attr_expr_term":
                continue
            chain = self._chain(sub)
            if chain and is_reference_root(chain[0]):
                yield ".".join(chain)
        if tree.data == "identifier":
            yield self.name(tree)

    def _chain(self, tree: Tree[Any]) -> list[str]:
        names: list[str] = []
        node: Tree[Any] | Token = tree
        while isinstance(node, Tree) and node.data in ("get_attr_expr_term", "expr_term"):
            if node.data == "expr_term":
                if len(node.children) != 1:
                    return []
                node = node.children[0]
                continue
            base, attr = node.children[0], node.children[1]
            if isinstance(attr, Tree) and attr.data == "get_attr":
                names.insert(0, self.name(attr.children[-1]))
            node = base
        if isinstance(node, Tree) and node.data == "identifier":
            names.insert(0, self.name(node))
            return names
        return []


def _is_trivia(item: Tree[Any] | Token) -> bool:
    if isinstance(item, Token):
        return item.type == "NL_OR_COMMENT"
    return item.data == "new_line_or_comment"


def _unescape(text: str) -> str:
    if "\\" not in text:
        return text

    def replace(match: re.Match[str]) -> str:
        code = match.group(1)
        if code[0] in "uU" and len(code) > 1:
            return chr(int(code[1:], 16))
        decoded: str = json.loads(f'"\\{code}"') if code in 'nrtbf"\\/' else code
        return decoded

    return _ESCAPES.sub(replace, text)
