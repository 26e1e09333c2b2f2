"""A loopback server speaking the Telegram Bot API, for tests.

A real aiogram `Bot` talks to it over HTTP (``TelegramAPIServer.from_base(fake.base_url)``),
so tests cover aiogram's request building and parsing and see exactly what a user
would see. Every call is recorded (method, decoded parameters, uploaded files); the
messages the bot sent are kept per chat and updated by edits::

    async with FakeTelegram() as tg:
        bot = Bot(tg.token, session=AiohttpSession(api=TelegramAPIServer.from_base(tg.base_url)))
        await dp.feed_update(bot, tg.as_update(tg.text(USER, "/start")))
        assert tg.last_message(USER)["text"].startswith("👋")
        await dp.feed_update(bot, tg.as_update(tg.tap(USER, "✅ I agree")))

`getUpdates` serves the queue filled by `push()` and long-polls briefly, so
`dp.start_polling` works against it too.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from aiohttp import web

TOKEN = "123456789:TEST-token_for-the-fake-bot-api"
BOT_ID = 123456789
BOT_USERNAME = "rupture_coach_test_bot"
#: longest a getUpdates call waits for an update, whatever timeout the client asked for
MAX_LONG_POLL_S = 0.2

#: parameters sent as plain strings; everything else arrives JSON-encoded
STRING_FIELDS = frozenset(
    {
        "text",
        "caption",
        "parse_mode",
        "action",
        "callback_query_id",
        "file_id",
        "url",
        "description",
        "short_description",
        "language_code",
        "emoji",
        "title",
        "name",
        "inline_message_id",
        "secret_token",
        "business_connection_id",
        "question",
        "explanation",
    }
)

_sequence = itertools.count(1)


@dataclass(frozen=True)
class Upload:
    filename: str
    content: bytes
    content_type: str


@dataclass
class ApiCall:
    """One request: `seq` orders calls across fakes in a test, `at` is time.monotonic()."""

    method: str
    params: dict[str, Any]
    files: dict[str, Upload] = field(default_factory=dict)
    seq: int = field(default_factory=lambda: next(_sequence))
    at: float = field(default_factory=time.monotonic)


@dataclass
class ApiError:
    status: int
    description: str
    retry_after: int | None = None


def next_sequence() -> int:
    """A number from the same counter `ApiCall.seq` uses, for other fakes' event logs."""
    return next(_sequence)


class FakeTelegram:
    """The fake Bot API; use as `async with FakeTelegram() as tg:`."""

    def __init__(
        self,
        *,
        token: str = TOKEN,
        bot_id: int = BOT_ID,
        username: str = BOT_USERNAME,
    ) -> None:
        self.token = token
        self.bot_user: dict[str, Any] = {
            "id": bot_id,
            "is_bot": True,
            "first_name": "Rupture Coach",
            "username": username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }
        self.calls: list[ApiCall] = []
        self.chats: dict[int, list[dict[str, Any]]] = {}
        self.files: dict[str, tuple[str, bytes]] = {}
        self.commands: list[dict[str, Any]] = []
        #: commands per scope type ("default", "all_group_chats", ...)
        self.commands_by_scope: dict[str, list[dict[str, Any]]] = {}
        self.polls: dict[str, dict[str, Any]] = {}
        self._poll_ids = itertools.count(1)
        self._failures: dict[str, list[ApiError]] = {}
        self._pending: list[dict[str, Any]] = []
        self._new_update = asyncio.Event()
        self._new_call = asyncio.Event()
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1)
        self._callback_ids = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self.port = 0

    # --- lifecycle ------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> FakeTelegram:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._download)
        self._runner = web.AppRunner(
            app, handle_signals=False, access_log=None, shutdown_timeout=1.0
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        return self

    async def close(self) -> None:
        self._new_update.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeTelegram:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    # --- what the bot did -----------------------------------------------------------

    def calls_to(self, method: str) -> list[ApiCall]:
        return [c for c in self.calls if c.method.lower() == method.lower()]

    def methods(self) -> list[str]:
        return [c.method for c in self.calls]

    def messages(self, chat_id: int) -> list[dict[str, Any]]:
        """The bot's messages in a chat, oldest first, as they look now (after edits)."""
        return self.chats.get(chat_id, [])

    def last_message(self, chat_id: int) -> dict[str, Any]:
        return self.messages(chat_id)[-1]

    def sent_texts(self, chat_id: int | None = None) -> list[str]:
        """Texts of sendMessage calls (HTML as sent), in order."""
        return [
            str(c.params["text"])
            for c in self.calls_to("sendMessage")
            if chat_id is None or c.params.get("chat_id") == chat_id
        ]

    def mark(self) -> int:
        """A position in the call log; `since(mark)` gives the calls made after it."""
        return len(self.calls)

    def since(self, mark: int, method: str | None = None) -> list[ApiCall]:
        calls = self.calls[mark:]
        return [c for c in calls if method is None or c.method.lower() == method.lower()]

    def texts_since(self, mark: int) -> list[str]:
        return [str(c.params["text"]) for c in self.since(mark, "sendMessage")]

    async def wait_for(self, method: str, count: int = 1, within: float = 10.0) -> ApiCall:
        """Wait until `method` has been called `count` times; returns that call."""
        async with asyncio.timeout(within):
            while len(self.calls_to(method)) < count:
                self._new_call.clear()
                await self._new_call.wait()
        return self.calls_to(method)[count - 1]

    # --- scripting the API ----------------------------------------------------------

    def fail_next(
        self,
        method: str,
        status: int = 400,
        description: str = "Bad Request",
        *,
        retry_after: int | None = None,
    ) -> None:
        """Answer the next call of `method` with an error; status 0 drops the connection.

        `retry_after` adds ``parameters.retry_after``, as Telegram's 429 flood control does.
        """
        self._failures.setdefault(method.lower(), []).append(
            ApiError(status, description, retry_after)
        )

    def add_file(self, file_id: str, content: bytes, path: str | None = None) -> None:
        """Make `getFile(file_id)` and the download URL serve `content`."""
        self.files[file_id] = (path or f"voice/{file_id}.oga", content)

    def push(self, *updates: dict[str, Any]) -> None:
        """Queue updates for getUpdates (long polling)."""
        self._pending.extend(updates)
        self._new_update.set()

    # --- building updates -----------------------------------------------------------

    @staticmethod
    def user(user_id: int, first_name: str = "Alex") -> dict[str, Any]:
        return {"id": user_id, "is_bot": False, "first_name": first_name, "language_code": "en"}

    @staticmethod
    def private_chat(user_id: int, first_name: str = "Alex") -> dict[str, Any]:
        return {"id": user_id, "type": "private", "first_name": first_name}

    def _incoming(
        self, user_id: int, chat: dict[str, Any] | None, **content: Any
    ) -> dict[str, Any]:
        return {
            "update_id": next(self._update_ids),
            "message": {
                "message_id": next(self._message_ids),
                "date": int(time.time()),
                "chat": chat or self.private_chat(user_id),
                "from": self.user(user_id),
                **content,
            },
        }

    def text(
        self, user_id: int, text: str, *, chat: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """A text message; a leading /command gets its bot_command entity, as Telegram sends."""
        content: dict[str, Any] = {"text": text}
        if text.startswith("/"):
            length = len(text.split(maxsplit=1)[0])
            content["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        return self._incoming(user_id, chat, **content)

    def voice(
        self, user_id: int, audio: bytes, *, duration: int = 3, file_id: str | None = None
    ) -> dict[str, Any]:
        """A voice note whose file the fake serves through getFile and the download path."""
        file_id = file_id or f"voice-{next(self._message_ids)}"
        self.add_file(file_id, audio)
        return self._incoming(
            user_id,
            None,
            voice={
                "file_id": file_id,
                "file_unique_id": f"u-{file_id}",
                "duration": duration,
                "mime_type": "audio/ogg",
                "file_size": len(audio),
            },
        )

    @staticmethod
    def group_chat(chat_id: int, title: str = "Supervision group") -> dict[str, Any]:
        return {"id": chat_id, "type": "supergroup", "title": title}

    def document(
        self, user_id: int, content: bytes, file_name: str, *, file_id: str | None = None
    ) -> dict[str, Any]:
        """A file the user sends; the fake serves it through getFile and the download path."""
        file_id = file_id or f"doc-{next(self._message_ids)}"
        self.add_file(file_id, content, path=f"documents/{file_id}")
        return self._incoming(
            user_id,
            None,
            document={
                "file_id": file_id,
                "file_unique_id": f"u-{file_id}",
                "file_name": file_name,
                "file_size": len(content),
            },
        )

    def vote(self, poll_id: str, counts: list[int]) -> dict[str, Any]:
        """Votes arrive: set a poll's counts and return the `poll` update Telegram sends."""
        poll = self.polls[poll_id]
        for option, count in zip(poll["options"], counts, strict=True):
            option["voter_count"] = count
        poll["total_voter_count"] = sum(counts)
        return {"update_id": next(self._update_ids), "poll": json.loads(json.dumps(poll))}

    def poll_answer(self, poll_id: str, user_id: int, option_ids: list[int]) -> dict[str, Any]:
        """A user's vote in a non-anonymous poll: the `poll_answer` update Telegram sends."""
        options = self.polls[poll_id]["options"]
        return {
            "update_id": next(self._update_ids),
            "poll_answer": {
                "poll_id": poll_id,
                "user": self.user(user_id),
                "option_ids": option_ids,
                "option_persistent_ids": [options[i]["persistent_id"] for i in option_ids],
            },
        }

    def sticker(self, user_id: int) -> dict[str, Any]:
        return self._incoming(
            user_id,
            None,
            sticker={
                "file_id": "sticker-1",
                "file_unique_id": "us-1",
                "type": "regular",
                "width": 512,
                "height": 512,
                "is_animated": False,
                "is_video": False,
                "emoji": "👍",
            },
        )

    def photo(self, user_id: int, caption: str | None = None) -> dict[str, Any]:
        extra = {"caption": caption} if caption else {}
        return self._incoming(
            user_id,
            None,
            photo=[{"file_id": "photo-1", "file_unique_id": "up-1", "width": 90, "height": 90}],
            **extra,
        )

    def callback(
        self, user_id: int, data: str, message: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """A button tap; `message` is the bot message carrying the button (default: the last)."""
        if message is None:
            message = self.last_message(user_id)
        return {
            "update_id": next(self._update_ids),
            "callback_query": {
                "id": str(next(self._callback_ids)),
                "from": self.user(user_id),
                "chat_instance": f"ci-{user_id}",
                "message": message,
                "data": data,
            },
        }

    def find_button(self, chat_id: int, text: str) -> tuple[dict[str, Any], str]:
        """The newest bot message with a button labelled `text`, and its callback data."""
        for message in reversed(self.messages(chat_id)):
            for row in (message.get("reply_markup") or {}).get("inline_keyboard", []):
                for button in row:
                    if button.get("text") == text:
                        return message, str(button["callback_data"])
        raise LookupError(f"no button {text!r} in chat {chat_id}")

    def tap(self, user_id: int, button_text: str) -> dict[str, Any]:
        """The user taps the button labelled `button_text` on the newest message showing it."""
        message, data = self.find_button(user_id, button_text)
        return self.callback(user_id, data, message)

    @staticmethod
    def buttons(message: dict[str, Any]) -> list[list[tuple[str, str]]]:
        """A message's inline keyboard as rows of (text, callback_data)."""
        rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
        return [[(b["text"], b.get("callback_data", "")) for b in row] for row in rows]

    # --- the HTTP side --------------------------------------------------------------

    async def _params(self, request: web.Request) -> tuple[dict[str, Any], dict[str, Upload]]:
        params: dict[str, Any] = {}
        uploads: dict[str, Upload] = {}
        if request.content_type == "application/json":
            body = await request.json()
            return (body if isinstance(body, dict) else {}), uploads
        form = await request.post()
        for name, value in form.items():
            if isinstance(value, web.FileField):
                uploads[name] = Upload(value.filename, value.file.read(), value.content_type)
            elif name in STRING_FIELDS:
                params[name] = value
            else:
                try:
                    params[name] = json.loads(value)
                except ValueError:
                    params[name] = value
        files: dict[str, Upload] = {}
        for name, value in params.items():
            if isinstance(value, str) and value.startswith("attach://"):
                key = value.removeprefix("attach://")
                if key in uploads:
                    files[name] = uploads[key]
        return params, files

    def _reply(self, result: Any) -> web.Response:
        return web.json_response({"ok": True, "result": result})

    async def _api(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        if request.match_info["token"] != self.token:
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        params, files = await self._params(request)
        if method.lower() != "getupdates":
            self.calls.append(ApiCall(method, params, files))
            self._new_call.set()
        failures = self._failures.get(method.lower())
        if failures:
            error = failures.pop(0)
            if error.status == 0:
                if request.transport is not None:
                    request.transport.close()
                return web.Response(status=500)
            body: dict[str, Any] = {
                "ok": False,
                "error_code": error.status,
                "description": error.description,
            }
            if error.retry_after is not None:
                body["parameters"] = {"retry_after": error.retry_after}
            return web.json_response(body, status=error.status)
        handler = getattr(self, f"_m_{method.lower()}", None)
        if handler is None:
            return self._reply(True)
        result = await handler(params, files)
        return self._reply(result)

    async def _download(self, request: web.Request) -> web.StreamResponse:
        path = request.match_info["path"]
        for stored_path, content in self.files.values():
            if stored_path == path:
                return web.Response(body=content, content_type="application/octet-stream")
        return web.Response(status=404)

    # --- methods --------------------------------------------------------------------

    async def _m_getme(self, params: dict[str, Any], files: dict[str, Upload]) -> Any:
        return self.bot_user

    async def _m_getupdates(self, params: dict[str, Any], files: dict[str, Upload]) -> Any:
        offset = int(params.get("offset") or 0)
        if offset:
            self._pending = [u for u in self._pending if u["update_id"] >= offset]
        if not self._pending:
            self._new_update.clear()
            wait = min(float(params.get("timeout") or 0), MAX_LONG_POLL_S)
            if wait > 0:
                try:
                    async with asyncio.timeout(wait):
                        await self._new_update.wait()
                except TimeoutError:
                    pass
        limit = int(params.get("limit") or 100)
        return self._pending[:limit]

    async def _m_setmycommands(self, params: dict[str, Any], files: dict[str, Upload]) -> Any:
        scope = params.get("scope") or {"type": "default"}
        commands = list(params.get("commands") or [])
        self.commands_by_scope[str(scope["type"])] = commands
        if scope["type"] == "default":
            self.commands = commands
        return True

    async def _m_getmycommands(self, params: dict[str, Any], files: dict[str, Upload]) -> Any:
        return self.commands

    def _chat(self, chat_id: Any) -> dict[str, Any]:
        chat_id = int(chat_id)
        if chat_id > 0:
            return {"id": chat_id, "type": "private", "first_name": "Alex"}
        return {"id": chat_id, "type": "supergroup", "title": "Group"}

    def _store(self, chat_id: Any, **content: Any) -> dict[str, Any]:
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": self._chat(chat_id),
            "from": self.bot_user,
            **{k: v for k, v in content.items() if v is not None},
        }
        self.chats.setdefault(int(chat_id), []).append(message)
        return message

    def _find(self, chat_id: Any, message_id: Any) -> dict[str, Any] | None:
        for message in self.chats.get(int(chat_id), []):
            if message["message_id"] == int(message_id):
                return message
        return None

    async def _m_sendmessage(self, params: dict[str, Any], files: dict[str, Upload]) -> Any:
        return self._store(
            params["chat_id"], text=params["text"], reply_markup=params.get("reply_markup")
        )

    async def _m_sendphoto(self, params: dict[str, Any], files: dict[str, Upload]) -> Any:
        upload = files.get("photo")
        size = len(upload.content) if upload else 0
        photo = [
            {
                "file_id": f"sent-photo-{self.mark()}",
                "file_unique_id": f"sp-{self.mark()}",
                "width": 910,
                "height": 546,
                "file_size": size,
            }
        ]
        return self._store(
            params["chat_id"],
            photo=photo,
            caption=params.get("caption"),
            reply_markup=params.get("reply_markup"),
        )

    async def _m_senddocument(self, params: dict[str, Any], files: dict[str, Upload]) -> Any:
        upload = files.get("document")
        document = {
            "file_id": f"sent-doc-{self.mark()}",
            "file_unique_id": f"sd-{self.mark()}",
            "file_name": upload.filename if upload else "file",
            "file_size": len(upload.content) if upload else 0,
        }
        return self._store(
            params["chat_id"],
            document=document,
            caption=params.get("caption"),
            reply_markup=params.get("reply_markup"),
        )

    async def _m_editmessagetext(self, params: dict[str, Any], files: dict[str, Upload]) -> Any:
        message = self._find(params["chat_id"], params["message_id"])
        if message is None:
            return True
        message["text"] = params["text"]
        message.pop("reply_markup", None)
        if params.get("reply_markup"):
            message["reply_markup"] = params["reply_markup"]
        message["edit_date"] = int(time.time())
        return message

    async def _m_editmessagereplymarkup(
        self, params: dict[str, Any], files: dict[str, Upload]
    ) -> Any:
        message = self._find(params["chat_id"], params["message_id"])
        if message is None:
            return True
        message.pop("reply_markup", None)
        if params.get("reply_markup"):
            message["reply_markup"] = params["reply_markup"]
        return message

    async def _m_sendpoll(self, params: dict[str, Any], files: dict[str, Upload]) -> Any:
        poll_id = f"poll-{next(self._poll_ids)}"
        options = [
            {
                "text": o if isinstance(o, str) else o["text"],
                "voter_count": 0,
                "persistent_id": str(i),
            }
            for i, o in enumerate(params["options"])
        ]
        poll: dict[str, Any] = {
            "id": poll_id,
            "question": params["question"],
            "options": options,
            "total_voter_count": 0,
            "is_closed": False,
            "is_anonymous": params.get("is_anonymous", True),
            "type": params.get("type", "regular"),
            "allows_multiple_answers": False,
            "allows_revoting": False,
            "members_only": False,
        }
        if params.get("correct_option_ids") is not None:
            poll["correct_option_ids"] = params["correct_option_ids"]
        if params.get("explanation"):
            poll["explanation"] = params["explanation"]
        self.polls[poll_id] = poll
        return self._store(params["chat_id"], poll=poll, reply_markup=params.get("reply_markup"))

    async def _m_stoppoll(self, params: dict[str, Any], files: dict[str, Upload]) -> Any:
        message = self._find(params["chat_id"], params["message_id"])
        if message is None or "poll" not in message:
            return True
        message["poll"]["is_closed"] = True
        return message["poll"]

    async def _m_deletemessage(self, params: dict[str, Any], files: dict[str, Upload]) -> Any:
        chat = self.chats.get(int(params["chat_id"]), [])
        self.chats[int(params["chat_id"])] = [
            m for m in chat if m["message_id"] != int(params["message_id"])
        ]
        return True

    async def _m_getfile(self, params: dict[str, Any], files: dict[str, Upload]) -> Any:
        file_id = str(params["file_id"])
        path, content = self.files.get(file_id, (f"missing/{file_id}", b""))
        return {
            "file_id": file_id,
            "file_unique_id": f"u-{file_id}",
            "file_size": len(content),
            "file_path": path,
        }

    # --- helpers for tests ------------------------------------------------------------

    def as_update(self, update: dict[str, Any]) -> Any:
        """An aiogram `Update` for `Dispatcher.feed_update` (imported lazily)."""
        from aiogram.types import Update

        return Update.model_validate(update)
