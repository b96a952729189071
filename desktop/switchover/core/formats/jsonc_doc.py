"""JSON with `//` and `/* */` comments and trailing commas (Zed, Gemini CLI, Qwen Code, OpenCode .jsonc).

Same splicing editor as strict JSON, so comments survive every edit untouched.
"""

from __future__ import annotations

from switchover.core.formats.json_doc import JsonDocument


class JsoncDocument(JsonDocument):
    kind = "jsonc"
    allow_comments = True
    allow_trailing_commas = True
