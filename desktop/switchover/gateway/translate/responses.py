"""OpenAI Responses ⇄ OpenAI Chat Completions (Codex in front of a Chat Completions provider).

Request mapping (``responses_to_chat``):
- ``instructions`` and every ``system``/``developer`` message (Codex sends its prompt as developer messages)
  → one leading system message, as many chat templates accept no other place for it.
- ``input`` items: messages (input_text/output_text/input_image parts) → user/assistant messages;
  ``function_call`` / ``custom_tool_call`` / ``local_shell_call`` / ``tool_search_call`` → assistant
  ``tool_calls`` (consecutive calls, and the assistant text before them, form one assistant message);
  their ``*_output`` items → ``tool`` messages placed directly after that assistant message (images in an
  output follow in a user message). ``reasoning`` items the gateway produced (plain ``reasoning_text``) →
  ``reasoning_content`` of the next assistant message; OpenAI's encrypted ones are dropped, as are the
  records of hosted calls (web search, image generation, file search, code interpreter); a remote
  ``compaction`` or an ``item_reference`` is refused (their content lives on OpenAI's servers).
- tools, each mapped explicitly:
  ``function`` → function; ``namespace`` (Codex's multi-agent tools) → its functions, named
  ``<namespace>__<name>``, and calls come back with ``namespace`` set (Codex dispatches on it); ``custom``
  (freeform, e.g. Codex's ``apply_patch`` with a Lark grammar) → a function taking ``{"input": string}``
  with the grammar in its description, calls come back as ``custom_tool_call``; ``tool_search`` run by the
  client → a function, calls come back as ``tool_search_call`` and the tools a ``tool_search_output``
  revealed are offered from then on; ``local_shell`` → a function taking ``command`` (argv list), calls
  come back as ``local_shell_call``; hosted tools (``web_search``, ``file_search``, ``code_interpreter``,
  ``image_generation``, ``computer_use_preview``, ``mcp``) are dropped with a note unless ``tool_choice``
  forces one (refused); anything else is refused.
- ``tool_choice`` strings as is, a named tool → that function, ``allowed_tools`` → the offered tools
  limited to the allowed ones; ``max_output_tokens`` → ``max_tokens``; ``temperature``/``top_p`` as is;
  ``text.format`` json_schema/json_object → ``response_format``.
- Refused: ``previous_response_id`` and ``conversation`` (the gateway keeps no server-side state: Codex
  sends the full history anyway), ``background``, ``prompt`` templates, file inputs.
- Dropped with a note: ``reasoning``, ``include``, ``store``, ``prompt_cache_key``, ``metadata``,
  ``client_metadata``, ``user``/``safety_identifier``, ``text.verbosity``, ``truncation``,
  ``service_tier``, ``max_tool_calls``, ``top_logprobs``, unknown top-level fields.

Response mapping: text → an ``output_text`` message item; tool calls → the item type of the tool they
call (see above); ``length`` → status ``incomplete`` (``max_output_tokens``), ``content_filter`` →
``incomplete`` (``content_filter``); usage → ``input_tokens``/``output_tokens`` with cached and reasoning
details. ``reasoning_content`` is dropped by default; with ``keep_reasoning=True`` it becomes a
``reasoning`` item (id prefix ``rs_swgw_``) whose summary shows it in Codex and whose ``content`` brings it
back with the history (see ``reasoning.py``; ``strip_gateway_reasoning`` removes such items before a request
is passed through to OpenAI itself, which would reject them under ``store: false``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from switchover.gateway.translate.chatstream import ChatChunkReader
from switchover.gateway.translate.common import (
    ChatHistory,
    Notes,
    Translated,
    arr,
    base_id,
    dumps,
    obj,
    parse_arguments,
    safe_id,
    set_token_limit,
    sse,
)
from switchover.gateway.translate.errors import BadUpstreamResponse, Untranslatable, error_code
from switchover.gateway.translate.reasoning import REASONING_ID_PREFIX, reasoning_text
from switchover.gateway.translate.sse import SseEvent
from switchover.gateway.translate.usage import Usage, chat_usage

_HOSTED_TOOLS = frozenset({
    "web_search", "web_search_preview", "web_search_2025_08_26", "web_search_preview_2025_03_11", "file_search",
    "code_interpreter", "image_generation", "computer_use_preview", "computer_use", "mcp",
})
_HOSTED_CALLS = frozenset({
    "web_search_call", "image_generation_call", "file_search_call", "code_interpreter_call", "computer_call",
    "computer_call_output", "mcp_list_tools", "mcp_call", "mcp_approval_request", "mcp_approval_response",
})
_CALL_ITEMS = frozenset({"function_call", "custom_tool_call", "local_shell_call", "tool_search_call"})
_OUTPUT_ITEMS = frozenset({
    "function_call_output", "custom_tool_call_output", "local_shell_call_output", "tool_search_output",
})
_NAMESPACE_SEPARATOR = "__"

_LOCAL_SHELL_PARAMETERS = {
    "type": "object",
    "properties": {
        "command": {"type": "array", "items": {"type": "string"}, "description": "The command and its arguments."},
        "workdir": {"type": "string", "description": "Working directory."},
        "timeout_ms": {"type": "integer", "description": "Time limit in milliseconds."},
        "env": {"type": "object", "additionalProperties": {"type": "string"}},
    },
    "required": ["command"],
}

_DROPPED_FIELDS = {
    "reasoning": "reasoning settings dropped (Chat Completions has no portable equivalent)",
    "include": "include dropped (nothing to include from a Chat Completions provider)",
    "prompt_cache_key": "prompt_cache_key dropped",
    "metadata": "metadata dropped",
    "client_metadata": "client_metadata dropped",
    "user": "user dropped",
    "safety_identifier": "safety_identifier dropped",
    "truncation": "truncation dropped (the gateway does not shorten histories)",
    "service_tier": "service_tier dropped",
    "max_tool_calls": "max_tool_calls dropped",
    "top_logprobs": "top_logprobs dropped",
    "stream_options": "stream_options dropped",
}
_KNOWN_FIELDS = frozenset({
    "model", "input", "instructions", "tools", "tool_choice", "parallel_tool_calls", "max_output_tokens",
    "temperature", "top_p", "stream", "store", "text", "previous_response_id", "conversation", "background",
    "prompt", *_DROPPED_FIELDS,
})


@dataclass(frozen=True, slots=True)
class ToolRef:
    """What a chat function name stands for on the Responses side."""

    kind: str  # "function", "custom", "tool_search" or "local_shell"
    name: str
    namespace: str | None = None


class ToolPlan:
    """The chat tools offered for a Responses request, and how each maps back."""

    def __init__(self, request: dict[str, Any], notes: Notes, strict: bool = True) -> None:
        self.notes = notes
        self.strict = strict
        self.tools: list[dict[str, Any]] = []
        self.refs: dict[str, ToolRef] = {}
        self.hosted: set[str] = set()
        self._by_origin: dict[tuple[str, str, str | None], str] = {}
        for tool in arr(request.get("tools")):
            self.add(tool)
        items = request.get("input")
        for item in arr(items):  # tools revealed by a client-side tool search are callable from then on
            if isinstance(item, dict) and item.get("type") == "tool_search_output":
                for tool in arr(item.get("tools")):
                    self.add(tool, revealed=True)

    def chat_name(self, kind: str, name: str, namespace: str | None = None) -> str:
        """The chat function name for a Responses call (calls to tools no longer offered keep their name)."""
        found = self._by_origin.get((kind, name, namespace))
        if found:
            return found
        return f"{namespace}{_NAMESPACE_SEPARATOR}{name}" if namespace else name

    def ref(self, chat_name: str) -> ToolRef:
        return self.refs.get(chat_name) or ToolRef("function", chat_name)

    def add(self, tool: object, namespace: str | None = None, revealed: bool = False) -> None:
        if not isinstance(tool, dict):
            self._refuse("Each tool must be a JSON object.")
            return
        kind = tool.get("type")
        name = str(tool.get("name", ""))
        if kind == "function":
            description = tool.get("description")
            self._offer("function", name, namespace, description, tool.get("parameters"), revealed)
        elif kind == "namespace":
            prefix = str(tool.get("description") or "")
            for inner in arr(tool.get("tools")):
                described = inner
                if isinstance(inner, dict) and prefix and inner.get("type") == "function":
                    described = {**inner, "description": f"{inner.get('description') or ''}\n\n({name}: {prefix})"}
                self.add(described, namespace=name, revealed=revealed)
        elif kind == "custom":
            self._offer("custom", name, namespace, _custom_description(tool), {
                "type": "object",
                "properties": {"input": {"type": "string", "description": "The tool's raw input text, exactly as the "
                                                                          "description's format requires."}},
                "required": ["input"],
            }, revealed)
        elif kind == "tool_search":
            if tool.get("execution", "client") != "client":
                self.hosted.add("tool_search")
                self.notes.add("hosted tool 'tool_search' dropped (it runs on OpenAI's servers only)")
                return
            self._offer("tool_search", "tool_search", None, tool.get("description"), tool.get("parameters"), revealed)
        elif kind == "local_shell":
            self._offer("local_shell", "local_shell", None, "Run a command on the user's machine and get its output.",
                        _LOCAL_SHELL_PARAMETERS, revealed)
        elif kind in _HOSTED_TOOLS:
            self.hosted.add(str(kind))
            self.notes.add(f"hosted tool '{kind}' dropped (it runs on OpenAI's servers only)")
        else:
            self._refuse(f"The tool type '{kind}' cannot be offered to a Chat Completions provider.")

    def _offer(self, kind: str, name: str, namespace: str | None, description: object, parameters: object,
               revealed: bool) -> None:
        chat_name = f"{namespace}{_NAMESPACE_SEPARATOR}{name}" if namespace else name
        ref = ToolRef(kind, name, namespace)
        if chat_name in self.refs:
            if self.refs[chat_name] == ref and revealed:
                return  # a search revealed a tool that is offered already
            self._refuse(f"Two tools would share the name '{chat_name}' at the Chat Completions provider.")
            return
        function: dict[str, Any] = {"name": chat_name}
        if description:
            function["description"] = description
        function["parameters"] = parameters if isinstance(parameters, dict) else {"type": "object", "properties": {}}
        self.tools.append({"type": "function", "function": function})
        self.refs[chat_name] = ref
        self._by_origin[(kind, name, namespace)] = chat_name

    def _refuse(self, message: str) -> None:
        if self.strict:
            raise Untranslatable(message)


def _custom_description(tool: dict[str, Any]) -> str:
    description = str(tool.get("description") or "")
    fmt = obj(tool.get("format"))
    if fmt.get("type") == "grammar":
        description += (f"\n\nPass the raw input as the string argument `input` (not JSON inside it). It must "
                        f"match this {fmt.get('syntax', '')} grammar:\n{fmt.get('definition', '')}")
    else:
        description += "\n\nPass the raw free-form input as the string argument `input`."
    return description.strip()


# -- requests -----------------------------------------------------------------------------------------------------

def responses_to_chat(body: dict[str, Any], *, limit_field: str = "max_tokens",
                      limit_cap: int | None = None) -> Translated:
    """A Responses request as a Chat Completions request (see the module docstring).

    ``limit_field`` and ``limit_cap`` as for ``anthropic_to_chat`` (they apply to ``max_output_tokens``).
    """
    if not isinstance(body, dict):
        raise Untranslatable("The request body must be a JSON object.")
    if body.get("previous_response_id"):
        raise Untranslatable("previous_response_id is not supported: the provider serving this route speaks Chat "
                             "Completions and the gateway keeps no stored responses. Send the full conversation in "
                             "'input' (Codex does so with store=false).")
    if body.get("conversation"):
        raise Untranslatable("'conversation' (server-side conversation state) is not supported by this gateway "
                             "route; send the full conversation in 'input'.")
    if body.get("background"):
        raise Untranslatable("Background responses are not supported by this gateway route.")
    if body.get("prompt"):
        raise Untranslatable("Stored prompt templates ('prompt') exist only on OpenAI's servers.")
    notes = Notes()
    plan = ToolPlan(body, notes)
    system_parts: list[str] = []
    if isinstance(body.get("instructions"), str) and body["instructions"]:
        system_parts.append(body["instructions"])
    messages = _input_messages(body.get("input"), plan, system_parts, notes)
    chat: dict[str, Any] = {"model": body.get("model")}
    system = "\n\n".join(part for part in system_parts if part)
    chat["messages"] = ([{"role": "system", "content": system}] if system else []) + messages
    tools = plan.tools
    tool_choice, tools = _tool_choice(body.get("tool_choice"), plan, tools)
    if tools:
        chat["tools"] = tools
        if tool_choice is not None:
            chat["tool_choice"] = tool_choice
        if body.get("parallel_tool_calls") is not None:
            chat["parallel_tool_calls"] = bool(body["parallel_tool_calls"])
    set_token_limit(chat, body.get("max_output_tokens"), limit_field, limit_cap, notes)
    for key in ("temperature", "top_p"):
        if body.get(key) is not None:
            chat[key] = body[key]
    if body.get("stream"):
        chat["stream"] = True
        chat["stream_options"] = {"include_usage": True}
    _text_config(body.get("text"), chat, notes)
    if body.get("store"):
        notes.add("store dropped (the gateway keeps no responses)")
    for key, note in _DROPPED_FIELDS.items():
        if body.get(key) not in (None, "", [], {}, "disabled"):
            notes.add(note)
    for key in sorted(set(body) - _KNOWN_FIELDS):
        notes.add(f"unknown request field '{key}' dropped")
    return Translated(chat, notes.result())


def _tool_choice(raw: object, plan: ToolPlan,
                 tools: list[dict[str, Any]]) -> tuple[object, list[dict[str, Any]]]:
    if raw is None:
        return None, tools
    if raw in ("auto", "none", "required"):
        if raw == "required" and not tools:
            raise Untranslatable("tool_choice 'required' needs at least one tool the provider can run.")
        return raw, tools
    if not isinstance(raw, dict):
        raise Untranslatable(f"Unknown tool_choice {raw!r}.")
    kind = raw.get("type")
    if kind == "allowed_tools":
        allowed = set()
        for tool in map(obj, arr(raw.get("tools"))):
            allowed_kind = str(tool.get("type", "function"))
            if allowed_kind in ("local_shell", "tool_search"):
                allowed.add(allowed_kind)
            else:
                allowed.add(plan.chat_name(allowed_kind, str(tool.get("name", "")), tool.get("namespace")))
        mode = raw.get("mode", "auto")
        kept = [t for t in tools if t["function"]["name"] in allowed]
        return (mode if mode in ("auto", "required") else "auto"), kept
    if kind in ("function", "custom"):
        name = plan.chat_name(str(kind), str(raw.get("name", "")), raw.get("namespace"))
        if name not in plan.refs:
            raise Untranslatable(f"tool_choice names the tool '{raw.get('name')}', which this provider cannot run.")
        return {"type": "function", "function": {"name": name}}, tools
    if kind in ("local_shell", "tool_search") and kind in plan.refs:
        return {"type": "function", "function": {"name": kind}}, tools
    raise Untranslatable(f"tool_choice forces the tool '{kind}', which a Chat Completions provider cannot run.")


def _text_config(raw: object, chat: dict[str, Any], notes: Notes) -> None:
    if not isinstance(raw, dict):
        return
    fmt = obj(raw.get("format"))
    kind = fmt.get("type")
    if kind == "json_schema":
        chat["response_format"] = {"type": "json_schema", "json_schema": {
            key: fmt[key] for key in ("name", "schema", "strict", "description") if key in fmt}}
    elif kind == "json_object":
        chat["response_format"] = {"type": "json_object"}
    elif kind not in (None, "text"):
        raise Untranslatable(f"Output format '{kind}' cannot be translated to Chat Completions.")
    if raw.get("verbosity") is not None:
        notes.add("text.verbosity dropped")


def _input_messages(raw: object, plan: ToolPlan, system_parts: list[str], notes: Notes) -> list[dict[str, Any]]:
    if raw is None:
        return []
    if isinstance(raw, str):
        return [{"role": "user", "content": raw}]
    if not isinstance(raw, list):
        raise Untranslatable("'input' must be a string or a list of items.")
    history = ChatHistory(notes)
    for item in raw:
        if not isinstance(item, dict):
            raise Untranslatable("Each input item must be a JSON object.")
        kind = item.get("type", "message")
        if kind == "message":
            _message_item(item, history, system_parts, notes)
        elif kind in _CALL_ITEMS:
            call_id = str(item.get("call_id") or item.get("id") or "")
            history.call(call_id, *_call_as_chat(item, plan))
        elif kind in _OUTPUT_ITEMS:
            call_id = str(item.get("call_id", ""))
            text, images = _output_text(item)
            history.result(call_id, text, images)
        elif kind == "reasoning":
            _reasoning_item(item, history, notes)
        elif kind in _HOSTED_CALLS:
            notes.add(f"'{kind}' items dropped from the history (hosted calls only OpenAI can replay)")
        elif kind in ("compaction", "compaction_summary"):
            raise Untranslatable("This session's history was compacted by OpenAI into an encrypted summary that "
                                 "another provider cannot read. Start a new session (or compact it locally).")
        elif kind == "item_reference":
            raise Untranslatable("'item_reference' points at a stored item on OpenAI's servers; this gateway "
                                 "route keeps no stored items. Send the items themselves.")
        else:
            raise Untranslatable(f"Input items of type '{kind}' cannot be translated to Chat Completions.")
    return history.finish()


def _reasoning_item(item: dict[str, Any], history: ChatHistory, notes: Notes) -> None:
    """Reasoning the gateway produced (plain text, no encrypted content) goes back as ``reasoning_content``;
    OpenAI's own reasoning is encrypted for OpenAI only."""
    if item.get("encrypted_content"):
        notes.add("reasoning items dropped from the history (encrypted for OpenAI only)")
        return
    texts = [str(obj(p).get("text", "")) for p in arr(item.get("content")) if obj(p).get("type") == "reasoning_text"]
    if not texts:
        texts = [str(obj(p).get("text", "")) for p in arr(item.get("summary"))]
    history.reasoning("\n\n".join(t for t in texts if t))


def _call_as_chat(item: dict[str, Any], plan: ToolPlan) -> tuple[str, str]:
    kind = item["type"]
    if kind == "function_call":
        namespace = item.get("namespace") if isinstance(item.get("namespace"), str) else None
        arguments = item.get("arguments")
        return plan.chat_name("function", str(item.get("name", "")), namespace), (
            arguments if isinstance(arguments, str) else dumps(arguments or {}))
    if kind == "custom_tool_call":
        return plan.chat_name("custom", str(item.get("name", ""))), dumps({"input": str(item.get("input", ""))})
    if kind == "local_shell_call":
        action = {k: v for k, v in obj(item.get("action")).items() if k != "type" and v is not None}
        return plan.chat_name("local_shell", "local_shell"), dumps(action)
    arguments = item.get("arguments")
    return plan.chat_name("tool_search", "tool_search"), (
        arguments if isinstance(arguments, str) else dumps(arguments or {}))


def _output_text(item: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
    if item["type"] == "tool_search_output":
        lines = []
        for tool in map(obj, arr(item.get("tools"))):
            namespace = str(tool.get("name", "")) if tool.get("type") == "namespace" else None
            for one in map(obj, arr(tool.get("tools")) if namespace else [tool]):
                name = f"{namespace}{_NAMESPACE_SEPARATOR}{one.get('name', '')}" if namespace else one.get("name", "")
                lines.append(f"- {name}: {_first_line(one.get('description'))}")
        return ("Tools now available:\n" + "\n".join(lines)) if lines else "No matching tools found.", []
    output = item.get("output")
    if isinstance(output, str):
        return output, []
    if isinstance(output, dict) and "content" in output:  # older Codex: {content, success}
        return str(output.get("content", "")), []
    texts: list[str] = []
    images: list[dict[str, Any]] = []
    for part in map(obj, arr(output)):
        kind = part.get("type")
        if kind in ("input_text", "output_text", "text"):
            texts.append(str(part.get("text", "")))
        elif kind == "input_image":
            images.append(_image(part))
        else:
            raise Untranslatable(f"A tool output part of type '{kind}' cannot be translated to Chat Completions.")
    return "\n\n".join(texts), images


def _first_line(text: object) -> str:
    lines = str(text or "").strip().splitlines()
    return lines[0] if lines else ""


def _image(part: dict[str, Any]) -> dict[str, Any]:
    url = part.get("image_url")
    if not isinstance(url, str) or not url:
        raise Untranslatable("Images given by file_id live on OpenAI's servers; send them as a URL or data URL.")
    image: dict[str, Any] = {"url": url}
    if part.get("detail") in ("low", "high", "auto"):
        image["detail"] = part["detail"]
    return {"type": "image_url", "image_url": image}


def _message_item(item: dict[str, Any], history: ChatHistory, system_parts: list[str], notes: Notes) -> None:
    role = item.get("role")
    content = item.get("content")
    if role in ("system", "developer"):
        system_parts.append(_plain_text(content, role))
        if history.messages:
            notes.add("mid-conversation system/developer message moved into the system prompt")
        return
    if role == "assistant":
        text = _plain_text(content, role)
        history.assistant_text(text)
        return
    if role != "user":
        raise Untranslatable(f"Unknown message role '{role}'.")
    if isinstance(content, str):
        history.add({"role": "user", "content": content})
        return
    parts: list[dict[str, Any]] = []
    for part in map(obj, arr(content)):
        kind = part.get("type")
        if kind in ("input_text", "output_text", "text"):
            parts.append({"type": "text", "text": str(part.get("text", ""))})
        elif kind == "input_image":
            parts.append(_image(part))
        elif kind == "input_file":
            raise Untranslatable("File inputs cannot be sent to a Chat Completions provider.")
        else:
            raise Untranslatable(f"A message part of type '{kind}' cannot be translated to Chat Completions.")
    text_only = all(p["type"] == "text" for p in parts)
    history.add({"role": "user", "content": "\n\n".join(p["text"] for p in parts) if text_only else parts})


def _plain_text(content: object, role: object) -> str:
    if isinstance(content, str):
        return content
    texts = []
    for part in map(obj, arr(content)):
        kind = part.get("type")
        if kind in ("input_text", "output_text", "text"):
            texts.append(str(part.get("text", "")))
        elif kind == "refusal":
            texts.append(str(part.get("refusal", "")))
        else:
            raise Untranslatable(f"A {role} message part of type '{kind}' cannot be translated to Chat Completions.")
    return "\n\n".join(texts)


# -- responses ----------------------------------------------------------------------------------------------------

def _responses_usage(usage: Usage | None) -> dict[str, Any] | None:
    if usage is None:
        return None
    return {
        "input_tokens": usage.input_tokens,
        "input_tokens_details": {"cached_tokens": usage.cached_input_tokens},
        "output_tokens": usage.output_tokens,
        "output_tokens_details": {"reasoning_tokens": usage.reasoning_tokens},
        "total_tokens": usage.input_tokens + usage.output_tokens,
    }


def _status(finish_reason: object) -> tuple[str, dict[str, str] | None]:
    if finish_reason == "length":
        return "incomplete", {"reason": "max_output_tokens"}
    if finish_reason == "content_filter":
        return "incomplete", {"reason": "content_filter"}
    return "completed", None


def _envelope(request: dict[str, Any], response_id: str, created: int, model: str, status: str,
              output: list[dict[str, Any]], usage: dict[str, Any] | None,
              incomplete: dict[str, str] | None = None, error: dict[str, Any] | None = None) -> dict[str, Any]:
    """The response object, echoing the request's settings as the Responses API does."""
    return {
        "id": response_id,
        "object": "response",
        "created_at": created,
        "status": status,
        "background": False,
        "error": error,
        "incomplete_details": incomplete,
        "instructions": request.get("instructions"),
        "max_output_tokens": request.get("max_output_tokens"),
        "model": model,
        "output": output,
        "parallel_tool_calls": request.get("parallel_tool_calls", True),
        "previous_response_id": None,
        "reasoning": request.get("reasoning") or {"effort": None, "summary": None},
        "store": bool(request.get("store", False)),
        "temperature": request.get("temperature"),
        "text": request.get("text") or {"format": {"type": "text"}},
        "tool_choice": request.get("tool_choice", "auto"),
        "tools": request.get("tools") or [],
        "top_p": request.get("top_p"),
        "truncation": request.get("truncation") or "disabled",
        "usage": usage,
        "user": None,
        "metadata": request.get("metadata") or {},
    }


def _call_item(ref: ToolRef, item_id: str, call_id: str, arguments: str, status: str) -> dict[str, Any]:
    """The Responses output item for a chat tool call to ``ref``."""
    if ref.kind == "custom":
        parsed = parse_arguments(arguments)
        text = parsed.get("input") if parsed is not None else None
        # A model that ignored the {"input": ...} wrapper and sent the raw text still meant that text.
        raw = text if isinstance(text, str) else ("" if parsed == {} and not arguments.strip() else arguments)
        return {"type": "custom_tool_call", "id": item_id, "call_id": call_id, "name": ref.name, "input": raw,
                "status": status}
    if ref.kind == "local_shell":
        action = parse_arguments(arguments)
        if action is None:
            raise BadUpstreamResponse("The upstream model returned malformed arguments for local_shell.")
        return {"type": "local_shell_call", "id": item_id, "call_id": call_id, "status": status,
                "action": {"type": "exec", **action}}
    if ref.kind == "tool_search":
        search = parse_arguments(arguments)
        if search is None:
            raise BadUpstreamResponse("The upstream model returned malformed arguments for tool_search.")
        return {"type": "tool_search_call", "id": item_id, "call_id": call_id, "status": status,
                "execution": "client", "arguments": search}
    item: dict[str, Any] = {"type": "function_call", "id": item_id, "call_id": call_id, "name": ref.name,
                            "arguments": arguments, "status": status}
    if ref.namespace:
        item["namespace"] = ref.namespace
    return item


def _reasoning_output(item_id: str, text: str) -> dict[str, Any]:
    return {"type": "reasoning", "id": item_id, "summary": [{"type": "summary_text", "text": text}],
            "content": [{"type": "reasoning_text", "text": text}], "encrypted_content": None}


def _item_prefix(kind: str) -> str:
    return {"custom": "ctc", "local_shell": "lsh", "tool_search": "ts"}.get(kind, "fc")


def _plan_for(request: dict[str, Any]) -> ToolPlan:
    return ToolPlan(request if isinstance(request, dict) else {}, Notes(), strict=False)


def chat_to_responses(resp: dict[str, Any], model: str, request: dict[str, Any], *,
                      keep_reasoning: bool = False) -> dict[str, Any]:
    """A non-streamed Chat Completions response as a Responses response for ``model``; ``request`` is the
    client's Responses request (its tools say which item type each call becomes)."""
    choices = resp.get("choices") if isinstance(resp, dict) else None
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        raise BadUpstreamResponse("The upstream answered without a completion choice.")
    choice = choices[0]
    message = obj(choice.get("message"))
    plan = _plan_for(request)
    stem = base_id(resp.get("id"))
    output: list[dict[str, Any]] = []
    thought = reasoning_text(message)
    if keep_reasoning and thought:
        output.append(_reasoning_output(f"{REASONING_ID_PREFIX}{stem}", thought))
    text = message.get("content")
    if isinstance(text, list):
        text = "".join(str(obj(p).get("text", "")) for p in text)
    if isinstance(text, str) and text:
        output.append({"type": "message", "id": f"msg_{stem}", "status": "completed", "role": "assistant",
                       "content": [{"type": "output_text", "text": text, "annotations": []}]})
    for index, call in enumerate(arr(message.get("tool_calls"))):
        function = obj(obj(call).get("function"))
        ref = plan.ref(str(function.get("name", "")))
        arguments = function.get("arguments")
        arguments = arguments if isinstance(arguments, str) else dumps(arguments or {})
        call_id = safe_id(obj(call).get("id"), "call_", f"{stem}_{index}")
        output.append(_call_item(ref, f"{_item_prefix(ref.kind)}_{stem}_{index}", call_id, arguments, "completed"))
    status, incomplete = _status(choice.get("finish_reason"))
    stamp = resp.get("created")
    created = stamp if isinstance(stamp, int) else int(time.time())
    return _envelope(request if isinstance(request, dict) else {}, f"resp_{stem}", created, model, status, output,
                     _responses_usage(chat_usage(resp.get("usage"))), incomplete)


class ChatToResponsesStream(ChatChunkReader):
    """Turns a Chat Completions chunk stream into the Responses event sequence Codex expects.

    Events: ``response.created``, ``response.in_progress``, then per output item ``output_item.added`` →
    (text: ``content_part.added``, ``output_text.delta``…, ``output_text.done``, ``content_part.done``;
    function call: ``function_call_arguments.delta``…, ``function_call_arguments.done``; custom tool call:
    ``custom_tool_call_input.delta``, ``custom_tool_call_input.done``) → ``output_item.done``, and finally
    ``response.completed`` or ``response.incomplete`` with the whole response and usage. Every event has a
    ``sequence_number`` counting from 0; there is no ``[DONE]``. Items never overlap. ``fail`` ends the
    stream with ``response.failed`` carrying ``error.code`` (Codex retries unless the code says the quota
    or the context window is exhausted).
    """

    def __init__(self, model: str, request: dict[str, Any], *, keep_reasoning: bool = False) -> None:
        self.model = model
        self.keep_reasoning = keep_reasoning
        self.request = request if isinstance(request, dict) else {}
        self._plan = _plan_for(self.request)
        self._seq = 0
        self._started = False
        self._closed = False
        self._stem = ""
        self._created = 0
        self._output: list[dict[str, Any]] = []
        self._open: dict[str, Any] | None = None  # the item being streamed
        self._open_ref: ToolRef | None = None
        self._text = ""
        self._args = ""
        self._tool_key: tuple[int, str] | None = None
        self._seen_tools: set[tuple[int, str]] = set()
        self._tool_count = 0
        self._finish: object = None
        self._saw_finish = False
        self._usage: Usage | None = None

    @property
    def usage(self) -> Usage | None:
        return self._usage

    @property
    def saw_finish_reason(self) -> bool:
        """Whether the upstream sent a ``finish_reason`` (a stream that ends without one was cut short)."""
        return self._saw_finish

    def _chunk_seen(self, chunk: dict[str, Any]) -> None:
        if not self._created and isinstance(chunk.get("created"), int):
            self._created = chunk["created"]

    def finish(self) -> list[SseEvent]:
        if self._closed:
            return []
        events = [*self._start(), *self._close_item()]
        self._closed = True
        status, incomplete = _status(self._finish)
        response = self._response(status, _responses_usage(self._usage), incomplete)
        events.append(self._event(f"response.{status}", response=response))
        return events

    def fail(self, kind: str, message: str) -> list[SseEvent]:
        """``response.failed`` with the error (after ``response.created`` if nothing was sent yet)."""
        if self._closed:
            return []
        events = self._start()
        self._closed = True
        error = {"code": error_code(kind) or "server_error", "message": message}
        events.append(self._event("response.failed", response=self._response("failed", None, None, error)))
        return events

    # -- internals ----------------------------------------------------------------------------------------------
    def _event(self, kind: str, **fields: Any) -> SseEvent:
        event = sse(kind, {"type": kind, "sequence_number": self._seq, **fields})
        self._seq += 1
        return event

    def _response(self, status: str, usage: dict[str, Any] | None, incomplete: dict[str, str] | None,
                  error: dict[str, Any] | None = None) -> dict[str, Any]:
        return _envelope(self.request, f"resp_{self._stem}", self._created, self.model, status, list(self._output),
                         usage, incomplete, error)

    def _start(self) -> list[SseEvent]:
        if self._started:
            return []
        self._started = True
        if not self._stem:
            self._stem = base_id(None)
        if not self._created:
            self._created = int(time.time())
        response = self._response("in_progress", None, None)
        return [self._event("response.created", response=response),
                self._event("response.in_progress", response=response)]

    def _close_item(self) -> list[SseEvent]:
        item = self._open
        if item is None:
            return []
        index = len(self._output)
        events: list[SseEvent] = []
        if item["type"] == "reasoning":
            part: dict[str, Any] = {"type": "summary_text", "text": self._text}
            common: dict[str, Any] = {"item_id": item["id"], "output_index": index, "summary_index": 0}
            events.append(self._event("response.reasoning_summary_text.done", **common, text=self._text))
            events.append(self._event("response.reasoning_summary_part.done", **common, part=part))
            done = _reasoning_output(item["id"], self._text)
        elif item["type"] == "message":
            part = {"type": "output_text", "text": self._text, "annotations": []}
            common = {"item_id": item["id"], "output_index": index, "content_index": 0}
            events.append(self._event("response.output_text.done", **common, text=self._text, logprobs=[]))
            events.append(self._event("response.content_part.done", **common, part=part))
            done = {**item, "status": "completed", "content": [part]}
        else:
            ref = self._open_ref or ToolRef("function", "")
            done = _call_item(ref, item["id"], item["call_id"], self._args, "completed")
            common = {"item_id": item["id"], "output_index": index}
            if ref.kind == "function":
                events.append(self._event("response.function_call_arguments.done", **common, name=ref.name,
                                          arguments=self._args))
            elif ref.kind == "custom":
                events.append(self._event("response.custom_tool_call_input.delta", **common, delta=done["input"]))
                events.append(self._event("response.custom_tool_call_input.done", **common, input=done["input"]))
        events.append(self._event("response.output_item.done", output_index=index, item=done))
        self._output.append(done)
        self._open = None
        self._open_ref = None
        self._tool_key = None
        return events

    def _reasoning_events(self, text: str) -> list[SseEvent]:
        events: list[SseEvent] = []
        index = len(self._output)
        if self._open is None or self._open["type"] != "reasoning":
            events.extend(self._close_item())
            index = len(self._output)
            item: dict[str, Any] = {"type": "reasoning", "id": f"{REASONING_ID_PREFIX}{self._stem}_{index}",
                                    "summary": []}
            self._open = item
            self._text = ""
            events.append(self._event("response.output_item.added", output_index=index, item=item))
            events.append(self._event("response.reasoning_summary_part.added", item_id=item["id"],
                                      output_index=index, summary_index=0,
                                      part={"type": "summary_text", "text": ""}))
        self._text += text
        events.append(self._event("response.reasoning_summary_text.delta", item_id=self._open["id"],
                                  output_index=index, summary_index=0, delta=text))
        return events

    def _text_events(self, text: str) -> list[SseEvent]:
        events: list[SseEvent] = []
        if self._open is None or self._open["type"] != "message":
            events.extend(self._close_item())
            index = len(self._output)
            item = {"type": "message", "id": f"msg_{self._stem}_{index}", "status": "in_progress",
                    "role": "assistant", "content": []}
            self._open = item
            self._text = ""
            events.append(self._event("response.output_item.added", output_index=index, item=item))
            events.append(self._event("response.content_part.added", item_id=item["id"], output_index=index,
                                      content_index=0, part={"type": "output_text", "text": "", "annotations": []}))
        self._text += text
        events.append(self._event("response.output_text.delta", item_id=self._open["id"],
                                  output_index=len(self._output), content_index=0, delta=text, logprobs=[]))
        return events

    def _tool(self, call: dict[str, Any]) -> list[SseEvent] | None:
        part = self._tool_call_part(call)
        if part is None:
            return None
        key, call_id, function, arguments = part
        events: list[SseEvent] = []
        if key is not None:
            events.extend(self._close_item())
            self._seen_tools.add(key)
            self._tool_key = key
            index = len(self._output)
            ref = self._plan.ref(str(function.get("name", "")))
            item_id = f"{_item_prefix(ref.kind)}_{self._stem}_{index}"
            call_ref = safe_id(call_id, "call_", f"{self._stem}_{self._tool_count}")
            self._tool_count += 1
            self._open_ref = ref
            self._args = ""
            self._open = {"type": "tool", "id": item_id, "call_id": call_ref}
            added = _call_item(ref, item_id, call_ref, "", "in_progress") if ref.kind in ("function", "custom") else (
                {"type": "local_shell_call" if ref.kind == "local_shell" else "tool_search_call", "id": item_id,
                 "call_id": call_ref, "status": "in_progress"})
            events.append(self._event("response.output_item.added", output_index=index, item=added))
        if arguments:
            self._args += arguments
            if self._open_ref is not None and self._open_ref.kind == "function":
                events.append(self._event("response.function_call_arguments.delta", item_id=self._open["id"]
                                          if self._open else "", output_index=len(self._output), delta=arguments))
        return events
