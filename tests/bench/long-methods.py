#!/usr/bin/env python3
"""List methods, constructors, accessors and local functions in src/**/*.cs whose body spans
more than N lines (signature line to closing brace), longest first: file:line name length.

A brace-counting heuristic, not a C# parser: strings, chars and comments are blanked first
(verbatim, interpolated and raw strings roughly), then each '{' is classified by the text
before it. Usage: tests/bench/long-methods.py [--max 80] [root]  (exit 1 when any is found)."""
import os
import re
import sys

KEYWORDS = {"if", "for", "foreach", "while", "switch", "using", "lock", "catch", "fixed",
            "return", "new", "else", "try", "finally", "do", "checked", "unchecked", "unsafe",
            "when", "nameof", "typeof", "sizeof", "default", "await", "throw", "in", "is",
            "get", "set", "init", "add", "remove", "base", "this"}
TYPE_DECL = re.compile(r"\b(class|struct|interface|record|enum|namespace)\b")
NAME_BEFORE_PAREN = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\s*(<[^()]*>)?\s*$")


def blank(text):
    """Replace the content of comments, strings and chars by spaces, keeping newlines."""
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i)); i = j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j])); i = j
        elif text.startswith('"""', i) or re.match(r'\$+"""', text[i:i + 8]):
            k = text.index('"', i)
            q = k
            while q < n and text[q] == '"':
                q += 1
            quote = text[k:q]
            j = text.find(quote, q)
            j = n if j < 0 else j + len(quote)
            out.append('""' + re.sub(r"[^\n]", " ", text[i + 2:j])); i = j
        elif c == '"' or re.match(r'(\$@|@\$|@|\$)"', text[i:i + 3]):
            k = text.index('"', i)
            prefix = text[i:k]
            verbatim = "@" in prefix
            interp = "$" in prefix
            j, depth = k + 1, 0
            while j < n:
                ch = text[j]
                if interp and ch == "{":
                    if text.startswith("{{", j) and depth == 0:
                        j += 2; continue
                    depth += 1
                elif interp and ch == "}" and depth > 0:
                    depth -= 1
                elif depth == 0 and not verbatim and ch == "\\":
                    j += 2; continue
                elif depth == 0 and ch == '"':
                    if verbatim and text.startswith('""', j):
                        j += 2; continue
                    break
                elif depth == 0 and ch == "\n" and not verbatim:
                    break
                j += 1
            j = min(j + 1, n)
            out.append('""' + re.sub(r"[^\n]", " ", text[i + 2:j])); i = j
        elif c == "'":
            m = re.match(r"'(\\.[^']*|[^'\\\n])'", text[i:i + 12])
            if m:
                out.append(" " * len(m.group(0))); i += len(m.group(0))
            else:
                out.append(c); i += 1
        else:
            out.append(c); i += 1
    return "".join(out)


def member_name(head):
    """Name of the method/ctor/local function whose signature is `head` (text before '{'), or None."""
    h = " ".join(head.split())
    if not h or TYPE_DECL.search(h):
        return None
    h = re.sub(r"\bwhere\b.*$", "", h).strip()          # generic constraints
    h = re.sub(r":\s*(base|this)\s*\(.*$", "", h).strip()  # ctor initialisers
    if not h.endswith(")"):
        m = re.search(r"\b(get|set|init|add|remove)$", h)
        if m:  # accessor: name it after the property
            prop = re.search(r"([A-Za-z_][A-Za-z0-9_]*)\s*$", h[:m.start()].rstrip(" {;"))
            return (prop.group(1) + "." if prop else "") + m.group(1)
        return None
    depth, k = 0, len(h) - 1
    while k >= 0:
        if h[k] == ")":
            depth += 1
        elif h[k] == "(":
            depth -= 1
            if depth == 0:
                break
        k -= 1
    m = NAME_BEFORE_PAREN.search(h[:k])
    if not m or m.group(1) in KEYWORDS:
        return None
    before = h[:m.start()].rstrip()
    # a call such as `Foo(x)` or `x => Bar(y)` ahead of a lambda/initialiser is not a declaration:
    # a declaration has a type or modifier word (or `>`/`]`/`?` of a type) right before its name
    if not before or before[-1] in "=(,.!&|+-*/%<:" or before.endswith("=>") or before.endswith("return"):
        return None
    return m.group(1)


def scan(path, limit):
    text = open(path, encoding="utf-8-sig").read()
    clean = blank(text)
    found, stack = [], []  # stack: (name or None, start line)
    seg_start = 0          # where the text preceding the next '{' starts
    line = 1
    for idx, ch in enumerate(clean):
        if ch == "\n":
            line += 1
        elif ch in ";":
            seg_start = idx + 1
        elif ch == "{":
            head = clean[seg_start:idx]
            name = member_name(head)
            start = None
            if name:  # the signature starts at the head's first non-blank line, after attributes
                start = clean.count("\n", 0, seg_start + (len(head) - len(head.lstrip()))) + 1
                attr = re.match(r"(\s*\[[^\]]*\]\s*)+", clean[seg_start:idx])
                if attr:
                    start = clean.count("\n", 0, seg_start + attr.end()) + 1
            stack.append((name, start))
            seg_start = idx + 1
        elif ch == "}":
            if stack:
                name, start = stack.pop()
                if name and line - start + 1 > limit:
                    found.append((line - start + 1, path, start, name))
            seg_start = idx + 1
    return found


def main():
    args = sys.argv[1:]
    limit = 80
    if args[:1] == ["--max"]:
        limit = int(args[1]); args = args[2:]
    root = args[0] if args else os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "src")
    root = os.path.normpath(root)
    results = []
    for d, dirs, files in os.walk(root):
        dirs[:] = sorted(x for x in dirs if x not in ("obj", "bin"))
        for f in sorted(files):
            if f.endswith(".cs"):
                results += scan(os.path.join(d, f), limit)
    base = os.path.dirname(root)
    for length, path, start, name in sorted(results, key=lambda r: (-r[0], r[1], r[2])):
        print(f"{os.path.relpath(path, base)}:{start} {name} {length}")
    return 1 if results else 0


if __name__ == "__main__":
    sys.exit(main())
