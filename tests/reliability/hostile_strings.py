"""A corpus of hostile strings, as an attacker would plant them in a model id, label or URL.

Each entry is (name, value). `validation.model_id_problem(value)` says whether Switchover refuses it; every
test that uses the corpus asserts one of two outcomes: refused with a clear message naming the field, or
carried through literally (the tool, shell or file reads back exactly `value`).
"""

from __future__ import annotations

HOSTILE: tuple[tuple[str, str], ...] = (
    # shell metacharacters and command substitution
    ("semicolon", "x;touch pwned;"),
    ("and-and", "m && touch pwned"),
    ("pipe", "m|tee pwned"),
    ("redirect-out", "m>pwned"),
    ("redirect-in", "m<p"),
    ("background", "m&"),
    ("subshell", "m(touch pwned)"),
    ("dollar-paren", "$(touch pwned)"),
    ("backtick", "`touch pwned`"),
    ("dollar-var", "$HOME"),
    ("dollar-brace", "${HOME}"),
    ("dollar-brace-default", "${X:-$(touch pwned)}"),
    ("arith", "$((1+1))"),
    ("glob-star", "*"),
    ("glob-question", "m?"),
    ("glob-bracket", "[abc]"),
    ("tilde", "~root"),
    ("tilde-after-colon", "a:~/b"),
    ("zsh-equals", "=ls"),
    ("history-bang", "m!!"),
    ("hash-comment", "m #comment"),
    ("hash-start", "#m"),
    ("leading-dash", "-e"),
    ("double-dash", "--help"),
    ("percent", "%self"),
    ("caret", "^m"),
    # quotes and backslashes
    ("single-quote", "it's"),
    ("single-quote-only", "'"),
    ("double-quote", 'say "hi"'),
    ("double-quote-only", '"'),
    ("quote-break", "x'; touch pwned; echo '"),
    ("dq-break", 'x"; touch pwned; echo "'),
    ("backslash", "a\\b"),
    ("trailing-backslash", "m\\"),
    ("backslash-quote", "\\'"),
    ("backslash-n-literal", "a\\nb"),
    ("fish-escape", "\\'; touch pwned; echo \\'"),
    # every line separator, and other controls
    ("newline", "m\n#"),
    ("newline-exec", "x;touch pwned;\n#"),
    ("crlf", "m\r\nexport X=1"),
    ("carriage-return", "m\rX"),
    ("vertical-tab", "m\x0btouch pwned"),
    ("form-feed", "m\x0cp"),
    ("nel", "m\x85p"),
    ("line-separator", "m\u2028p"),
    ("paragraph-separator", "m\u2029p"),
    ("tab", "m\tp"),
    ("nul", "m\x00p"),
    ("escape", "m\x1b[2J"),
    ("osc52", "\x1b]52;c;aGk=\x07"),
    ("c1-csi", "m\x9b2J"),
    ("del", "m\x7f"),
    ("bidi-rlo", "m\u202eevil"),
    ("bidi-isolate", "m\u2066x\u2069"),
    ("zero-width", "m\u200bp"),
    ("bom", "\ufeffm"),
    # what tools expand in their configs
    ("opencode-file", "{file:/etc/passwd}"),
    ("opencode-file-home", "p/{file:~/.ssh/id_rsa}"),
    ("opencode-env", "{env:HOME}"),
    ("gemini-env", "${GEMINI_API_KEY}"),
    ("continue-secret", "${{ secrets.KEY }}"),
    ("github-expr", "${{ }}"),
    ("brace-only", "{}"),
    # format breakers
    ("json-breaker", '"}, "x": {"y": "'),
    ("json-unicode-escape", "\\u0000"),
    ("toml-breaker", '"\n[model_providers.evil]\nbase_url = "http://evil'),
    ("toml-multiline", "'''"),
    ("yaml-breaker", "x\n- evil: true"),
    ("yaml-anchor", "&a [*a]"),
    ("yaml-tag", "!!python/object:os.system"),
    ("yaml-colon", "key: value"),
    ("yaml-bool", "no"),
    ("yaml-null", "~"),
    ("yaml-float", ".5"),
    ("yaml-inf", ".inf"),
    ("yaml-hex", "0x1F"),
    ("yaml-sexagesimal", "1:30"),
    ("yaml-true", "True"),
    ("yaml-merge", "<<"),
    ("dotenv-breaker", "x\nGEMINI_API_KEY=stolen"),
    ("dotenv-comment", "x #y"),
    ("html", "<b>bold</b><img src=x onerror=alert(1)>"),
    ("url-like", "http://evil.example/"),
    ("path-traversal", "../../../../etc/passwd"),
    # sizes and odd Unicode
    ("empty", ""),
    ("space", " "),
    ("long-10000", "m" * 10_000),
    ("long-257", "m" * 257),
    ("unicode-ok", "模型-ü-é"),
    ("emoji", "model-🚀"),
    ("surrogate-free-astral", "𝓂𝑜𝒹𝑒𝓁"),
)

# Strings that pass the model-id grammar but are still unusual: every target and shell must carry them
# through literally. Kept separate so tests can rely on them being accepted.
UNUSUAL_BUT_VALID: tuple[str, ...] = (
    "it's",
    'say"hi"',
    "a\\b",
    "m\\",
    "x;touch_p;|&<>",
    "#m",
    "-e",
    "=ls",
    "~root",
    "a:~/b",
    "*?[abc]",
    "%self!!",
    "模型-ü-é",
    "org/Model_v2.5:q4@tag+x~y'(1)*,=",
)

assert len(HOSTILE) >= 60, "the issue asks for a corpus of at least 60 hostile strings"
assert len({name for name, _ in HOSTILE}) == len(HOSTILE), "names are unique"


def tool_cannot_take(tool: str, value: str) -> bool:
    """Valid model ids a target still refuses, because the tool itself cannot take them (docs/real-tools.md):
    OpenCode (and Kilo Code, built on it) fails on '#'; Gemini CLI puts the id into the request URL, where its
    client rejects '?', '&' and '..', and '#', '%', a backslash or another '/' would change the path. Format
    limits below validation: no shell variable holds NUL, and ruamel cannot write U+0085 so that YAML reads it
    back."""
    if tool in ("opencode", "kilo-code") and "#" in value:  # Kilo Code inherits the OpenCode target (not run)
        return True
    if tool == "gemini-cli" and (any(part in value for part in ("?", "&", "..", "#", "%", "\\"))
                                 or "/" in value.removeprefix("models/").removeprefix("tunedModels/")):
        return True
    if tool == "shell-env" and "\0" in value:
        return True
    return tool in ("aider", "continue", "goose") and "\x85" in value
