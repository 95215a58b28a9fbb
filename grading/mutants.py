"""mutants.py - the mutants of a C exercise region (grading/README.md,
"Mutation testing").

A mutant is the source file with one small change inside one exercise
region: a comparison flipped or moved by one, && and || swapped, an
arithmetic or bitwise operator replaced, an integer constant moved by one,
a condition negated, a statement dropped, or two operands swapped. Each is
what a plausible wrong solution looks like; a test suite that lets many of
them pass would also pass many wrong student solutions.

The code is read as tokens (comments, strings and preprocessor lines are
skipped), which is enough for these changes: a mutant that does not compile
is counted as stillborn, not as killed.
"""

import re

TOKEN_RE = re.compile(r"""
    (?P<space>\s+)
  | (?P<comment>/\*.*?\*/|//[^\n]*)
  | (?P<pp>(?<![^\n])[ \t]*\#(?:\\\n|[^\n])*)
  | (?P<string>"(?:\\.|[^"\\\n])*")
  | (?P<char>'(?:\\.|[^'\\\n])*')
  | (?P<number>0[xX][0-9a-fA-F]+[uUlL]*|[0-9]+[uUlL]*(?![.eE0-9A-Za-z_]))
  | (?P<float>[0-9][0-9A-Za-z_.]*)
  | (?P<ident>[A-Za-z_][A-Za-z_0-9]*)
  | (?P<punct>>>=|<<=|\.\.\.|->|\+\+|--|<<|>>|<=|>=|==|!=|&&|\|\||\+=|-=|\*=|/=|%=|&=|\|=|\^=|[-+*/%<>=!~&|^?:;,.(){}\[\]])
  | (?P<other>.)
""", re.S | re.X)

KEYWORDS = {
    "auto", "break", "case", "char", "const", "continue", "default", "do",
    "double", "else", "enum", "extern", "float", "for", "goto", "if",
    "inline", "int", "long", "register", "restrict", "return", "short",
    "signed", "sizeof", "static", "struct", "switch", "typedef", "union",
    "unsigned", "void", "volatile", "while", "_Bool", "bool", "_Static_assert",
    "__attribute__", "typeof", "__typeof__", "alignof", "_Alignof",
}
TYPE_WORDS = {
    "char", "const", "double", "enum", "extern", "float", "int", "long",
    "register", "short", "signed", "static", "struct", "union", "unsigned",
    "void", "volatile", "_Bool", "bool", "typedef", "inline",
}
CONTROL = {"if", "while", "for", "switch"}

# Comparisons: the other side of the boundary, and the negation.
CMP = {"<": ("<=", ">="), "<=": ("<", ">"), ">": (">=", "<="),
       ">=": (">", "<"), "==": ("!=",), "!=": ("==",)}
LOGIC = {"&&": ("||",), "||": ("&&",)}
# Binary arithmetic and bitwise operators.
ARITH = {"+": ("-",), "-": ("+",), "*": ("/",), "/": ("*",), "%": ("*",),
         "<<": (">>",), ">>": ("<<",), "&": ("|",), "|": ("&",), "^": ("|",)}
ASSIGN = {"+=": ("-=",), "-=": ("+=",), "*=": ("/=",), "/=": ("*=",),
          "<<=": (">>=",), ">>=": ("<<=",), "&=": ("|=",), "|=": ("&=",),
          "^=": ("|=",)}
INCDEC = {"++": ("--",), "--": ("++",)}
# Operators whose operands may be swapped to make a different program.
SWAP_OPS = {"-", "/", "%", "<<", ">>"}


class Tok:
    __slots__ = ("kind", "text", "start", "end")

    def __init__(self, kind, text, start, end):
        self.kind, self.text, self.start, self.end = kind, text, start, end

    def __repr__(self):
        return "Tok(%s %r @%d)" % (self.kind, self.text, self.start)


def tokenize(text):
    """The significant tokens of C text (no spaces, comments, strings'
    insides or preprocessor lines), each with its offsets."""
    toks = []
    for m in TOKEN_RE.finditer(text):
        kind = m.lastgroup
        if kind in ("space", "comment", "pp"):
            continue
        toks.append(Tok(kind, m.group(), m.start(), m.end()))
    return toks


class Mutant:
    """One change to a file: edits [(start, end, replacement)] in offsets of
    the original text, an operator class and a one-line description."""

    def __init__(self, op, edits):
        self.op = op
        self.edits = sorted(edits)
        self.key = ""           # "file: before => after", unique in a region
        self.line = 0           # first line it changes, 1-based
        self.region = None

    def apply(self, text):
        out, pos = [], 0
        for s, e, r in self.edits:
            out.append(text[pos:s])
            out.append(r)
            pos = e
        out.append(text[pos:])
        return "".join(out)


def collapse(s):
    return " ".join(s.split())


def _operand_is_value(tok):
    """Whether tok ends an operand, so that an operator after it is binary."""
    if tok is None:
        return False
    if tok.kind in ("number", "float", "string", "char"):
        return True
    if tok.kind == "ident":
        return tok.text not in KEYWORDS and not tok.text.endswith("_t")
    return tok.text in (")", "]", "++", "--")


class Region:
    """The tokens of one exercise region's body, with their context."""

    def __init__(self, toks, lo, hi):
        self.toks = toks        # every token of the file
        self.lo, self.hi = lo, hi   # token indices of the body: [lo, hi)
        self.match = {}
        stack = []
        for i, t in enumerate(toks):
            if t.text in ("(", "[", "{"):
                stack.append(i)
            elif t.text in (")", "]", "}") and stack:
                j = stack.pop()
                self.match[i], self.match[j] = j, i

    def tok(self, i):
        return self.toks[i] if 0 <= i < len(self.toks) else None

    def inside(self, i):
        return self.lo <= i < self.hi

    def binary(self, i):
        prev = self.tok(i - 1)
        if prev is None or not _operand_is_value(prev):
            return False
        # "struct foo *p": a declaration, not a multiplication.
        before = self.tok(i - 2)
        if prev.kind == "ident" and before is not None and \
                before.text in ("struct", "union", "enum"):
            return False
        return True

    # -- operands, for the swaps -------------------------------------------

    def operand_back(self, j):
        """Index of the first token of the postfix expression ending at j."""
        if not self.inside(j):
            return None
        t = self.toks[j]
        if t.text in (")", "]"):
            k = self.match.get(j)
            if k is None or not self.inside(k):
                return None
            p = self.tok(k - 1)
            if p is not None and self.inside(k - 1) and (
                    (p.kind == "ident" and p.text not in KEYWORDS - {"sizeof"})
                    or p.text in (")", "]")):
                return self.operand_back(k - 1)
            return k
        if t.kind in ("number", "char", "string") or (
                t.kind == "ident" and t.text not in KEYWORDS - {"sizeof"}):
            p = self.tok(j - 1)
            if p is not None and p.text in (".", "->") and self.inside(j - 2):
                return self.operand_back(j - 2)
            return j
        return None

    def operand_fwd(self, j):
        """Index of the last token of the postfix expression starting at j."""
        if not self.inside(j):
            return None
        t = self.toks[j]
        if t.text == "(":
            k = self.match.get(j)
            if k is None or not self.inside(k):
                return None
            end = k
        elif t.kind in ("number", "char", "string"):
            return j
        elif t.kind == "ident" and t.text not in KEYWORDS:
            end = j
        else:
            return None
        while True:
            n = self.tok(end + 1)
            if n is None or not self.inside(end + 1):
                return end
            if n.text in ("(", "["):
                k = self.match.get(end + 1)
                if k is None or not self.inside(k):
                    return None
                end = k
            elif n.text in (".", "->") and self.inside(end + 2) and \
                    self.toks[end + 2].kind == "ident":
                end += 2
            else:
                return end


def _replace(tok, new):
    return [(tok.start, tok.end, new)]


def _const_variants(text):
    m = re.match(r"^(0[xX][0-9a-fA-F]+|[0-9]+)([uUlL]*)$", text)
    if not m:
        return []
    digits, suffix = m.groups()
    hexa = digits[:2].lower() == "0x"
    if not hexa and len(digits) > 1 and digits[0] == "0":
        return []           # octal: leave it
    v = int(digits, 16 if hexa else 10)
    out = []
    for n in (v + 1, v - 1):
        if n < 0:
            continue
        if hexa:
            s = "0x%x" % n if digits[2:].islower() or not any(
                c.isalpha() for c in digits[2:]) else "0x%X" % n
            if digits[1] == "X":
                s = "0X" + s[2:]
        else:
            s = "%d" % n
        out.append(s + suffix)
    return out


def _statement_starts(reg):
    """Token indices where a statement may start, inside the region."""
    starts = set()
    depth_paren = 0
    headers = set()     # indices of ')' closing a control statement's header
    for i in range(reg.lo, reg.hi):
        t = reg.toks[i]
        if t.text in CONTROL and reg.tok(i + 1) is not None and \
                reg.toks[i + 1].text == "(":
            close = reg.match.get(i + 1)
            if close is not None:
                headers.add(close)
    stmt_first = None
    for i in range(reg.lo, reg.hi):
        t = reg.toks[i]
        prev = reg.tok(i - 1)
        if depth_paren == 0 and (i == reg.lo or prev is None or
                                 prev.text in (";", "{", "}", "else", "do") or
                                 (i - 1) in headers or
                                 (prev.text == ":" and stmt_first is not None and
                                  reg.toks[stmt_first].text in ("case", "default"))):
            starts.add(i)
            stmt_first = i
        if t.text == "(":
            depth_paren += 1
        elif t.text == ")":
            depth_paren = max(0, depth_paren - 1)
    return starts, headers


def _statements(reg):
    """(first, last) token indices of simple statements ending in ';'."""
    starts, headers = _statement_starts(reg)
    out = []
    for s in sorted(starts):
        t = reg.toks[s]
        if t.text in TYPE_WORDS or t.text in CONTROL or t.text in (
                "case", "default", "else", "do", "{", "}", ";") or \
                t.kind != "ident" and t.text not in ("*", "(", "++", "--"):
            continue
        if t.kind == "ident" and t.text.endswith("_t"):
            continue
        n = reg.tok(s + 1)
        # "foo bar" or "foo *bar =": a declaration with a typedef name.
        if t.kind == "ident" and t.text not in KEYWORDS and n is not None and \
                n.kind == "ident":
            continue
        depth = 0
        j = s
        while j < reg.hi:
            x = reg.toks[j].text
            if x in ("(", "[", "{"):
                if x == "{" and depth == 0:
                    break
                depth += 1
            elif x in (")", "]", "}"):
                depth -= 1
                if depth < 0:
                    break
            elif x == ";" and depth == 0:
                out.append((s, j, (s - 1) in headers or
                            reg.tok(s - 1).text in ("else", "do")))
                break
            j += 1
    return out


def _definition(reg, i):
    """Whether the '(' at i opens a function definition's parameters."""
    c = reg.match.get(i)
    n = reg.tok(c + 1) if c is not None else None
    return n is not None and n.text == "{"


def _call_args(reg, i):
    """For '(' at i after a function name: [(first, last)] of each argument."""
    close = reg.match.get(i)
    if close is None or close > reg.hi or close == i + 1:
        return []
    args, depth, first = [], 0, i + 1
    for j in range(i + 1, close):
        x = reg.toks[j].text
        if x in ("(", "[", "{"):
            depth += 1
        elif x in (")", "]", "}"):
            depth -= 1
        elif x == "," and depth == 0:
            args.append((first, j - 1))
            first = j + 1
    args.append((first, close - 1))
    if any(a > b for a, b in args):
        return []
    return args


def generate(text, lo_off, hi_off):
    """Every mutant of text whose change lies in [lo_off, hi_off)."""
    toks = tokenize(text)
    lo = next((i for i, t in enumerate(toks) if t.start >= lo_off), len(toks))
    hi = next((i for i, t in enumerate(toks) if t.start >= hi_off), len(toks))
    reg = Region(toks, lo, hi)
    out = []

    def add(op, edits):
        out.append(Mutant(op, edits))

    for i in range(lo, hi):
        t = toks[i]
        x = t.text
        if t.kind == "punct":
            if x in CMP:
                for r in CMP[x]:
                    add("cmp", _replace(t, r))
            elif x in LOGIC:
                add("logic", _replace(t, LOGIC[x][0]))
            elif x in ASSIGN:
                add("arith", _replace(t, ASSIGN[x][0]))
            elif x in INCDEC:
                add("arith", _replace(t, INCDEC[x][0]))
            elif x in ARITH and reg.binary(i):
                add("arith", _replace(t, ARITH[x][0]))
                if x in SWAP_OPS:
                    a = reg.operand_back(i - 1)
                    b = reg.operand_fwd(i + 1)
                    if a is not None and b is not None:
                        left = text[toks[a].start:toks[i - 1].end]
                        right = text[toks[i + 1].start:toks[b].end]
                        if left != right:
                            add("swap", [(toks[a].start, toks[i - 1].end, right),
                                         (toks[i + 1].start, toks[b].end, left)])
            elif x in ("!", "~") or (x == "-" and not reg.binary(i)):
                add("not" if x == "!" else "arith", _replace(t, ""))
            elif x == "(":
                p = reg.tok(i - 1)
                if p is not None and p.text in ("if", "while"):
                    c = reg.match.get(i)
                    if c is not None and c < hi:
                        add("not", [(toks[i + 1].start, toks[i + 1].start, "!("),
                                    (toks[c - 1].end, toks[c - 1].end, ")")])
                elif p is not None and p.kind == "ident" and \
                        p.text not in KEYWORDS and not _definition(reg, i):
                    args = _call_args(reg, i)
                    for (a1, b1), (a2, b2) in zip(args, args[1:]):
                        s1 = text[toks[a1].start:toks[b1].end]
                        s2 = text[toks[a2].start:toks[b2].end]
                        if s1 != s2:
                            add("swap", [(toks[a1].start, toks[b1].end, s2),
                                         (toks[a2].start, toks[b2].end, s1)])
        elif t.kind == "number":
            for r in _const_variants(x):
                add("const", _replace(t, r))

    for s, e, body in _statements(reg):
        add("drop", [(toks[s].start, toks[e].end, "{}" if body else "")])

    return describe(text, out, functions(toks))


def functions(toks):
    """[(start offset, end offset, name)] of each function body."""
    out, depth, name, start = [], 0, None, 0
    for i, t in enumerate(toks):
        if t.text == "{":
            if depth == 0:
                # "name ( ... ) {": the name before the parameter list.
                j = i - 1
                if j >= 0 and toks[j].text == ")":
                    k, d = j, 0
                    while k >= 0:
                        d += {")": 1, "(": -1}.get(toks[k].text, 0)
                        if d == 0:
                            break
                        k -= 1
                    if k > 0 and toks[k - 1].kind == "ident":
                        name, start = toks[k - 1].text, toks[k - 1].start
                    else:
                        name = None
                else:
                    name = None
            depth += 1
        elif t.text == "}" and depth > 0:
            depth -= 1
            if depth == 0 and name:
                out.append((start, t.end, name))
                name = None
    return out


def describe(text, mutants, funcs=()):
    """Give each mutant its key and line; drop duplicates and no-ops. The
    key names the function the change is in, when there is one."""
    seen, keys, kept = set(), {}, []
    for m in mutants:
        new = m.apply(text)
        if new == text or new in seen:
            continue
        seen.add(new)
        s = min(e[0] for e in m.edits)
        e = max(e[1] for e in m.edits)
        ls = text.rfind("\n", 0, s) + 1
        le = text.find("\n", e)
        le = len(text) if le < 0 else le
        delta = sum(len(r) - (b - a) for a, b, r in m.edits)
        before = collapse(text[ls:le])
        after = collapse(new[ls:le + delta]) or "(nothing)"
        m.line = text.count("\n", 0, s) + 1
        key = "%s => %s" % (before, after)
        fn = [f for a, b, f in funcs if a <= s < b]
        if fn:
            key = "%s(): %s" % (fn[0], key)
        n = keys.get(key, 0) + 1
        keys[key] = n
        m.key = key if n == 1 else "%s [%d]" % (key, n)
        kept.append(m)
    return kept
