"""/start, consent before storage, the main menu, /help and /learn."""

from __future__ import annotations

from pathlib import Path

from bot.practice.records import UserRecord
from bot.storage import SqlPracticeStore
from bot.telegram.callbacks import MenuCb
from bot.telegram.identity import find_trainee, grant_consent
from tests.fakes.telegram_server import FakeTelegram
from tests.telegram_kit import OTHER_USER, USER, rig

CONSENT_ROW = [("✅ I agree", "c:y"), ("No, thanks", "c:n")]
MENU_ROWS = [
    [("🎭 Practise", "m:practise"), ("📖 Learn", "m:learn")],
    [("📈 My progress", "m:progress"), ("❓ Help", "m:help")],
]


async def test_start_introduces_the_bot_and_asks_for_consent_storing_nothing(
    tmp_path: Path,
) -> None:
    async with rig(tmp_path) as r:
        await r.say("/start")
        intro = r.tg.last_message(USER)
        assert intro["text"] == f"{r.texts.intro}\n\n<b>{r.texts.consent_question}</b>"
        assert "training, not therapy" in intro["text"]
        assert "What is stored, and why" in intro["text"]
        assert FakeTelegram.buttons(intro) == [CONSENT_ROW]
        assert r.tg.calls_to("sendMessage")[0].params["parse_mode"] == "HTML"
        assert r.rows("users") == 0


async def test_nothing_is_stored_until_the_user_agrees(tmp_path: Path) -> None:
    async with rig(tmp_path) as r:
        await r.say("/start")
        await r.say("Hello? I just want to practise.")
        assert r.tg.sent_texts(USER)[-1] == r.texts.consent_required
        await r.say("/practice")
        assert r.tg.sent_texts(USER)[-1] == r.texts.consent_required
        await r.send(r.tg.callback(USER, MenuCb.__prefix__ + ":practise"))
        alert = r.tg.calls_to("answerCallbackQuery")[-1].params
        assert alert["show_alert"] is True
        assert alert["text"] == r.texts.consent_required
        await r.send(r.tg.sticker(USER))
        assert r.tg.sent_texts(USER)[-1] == r.texts.consent_required
        await r.say("/help")
        assert r.tg.sent_texts(USER)[-1] == r.texts.help
        assert r.rows("users") == 0
        assert r.rows("practice_sessions") == 0

        await r.tap("No, thanks")
        assert r.tg.sent_texts(USER)[-1] == r.texts.consent_declined
        assert r.rows("users") == 0

        await r.say("/start")
        await r.tap("✅ I agree")
        assert r.rows("users") == 1
        user = await r.trainee()
        assert user.consented
        assert user.external_id == str(USER)
        assert user.channel == "telegram"


async def test_agreeing_shows_the_main_menu_and_removes_the_consent_buttons(
    tmp_path: Path,
) -> None:
    async with rig(tmp_path) as r:
        await r.say("/start")
        consent_message = r.tg.last_message(USER)
        await r.tap("✅ I agree")
        assert "reply_markup" not in consent_message
        assert r.tg.calls_to("answerCallbackQuery")[-1].params == {"callback_query_id": "1"}
        menu = r.tg.last_message(USER)
        assert menu["text"] == f"{r.texts.consent_thanks}\n\n{r.texts.menu}"
        assert FakeTelegram.buttons(menu) == MENU_ROWS

        await r.say("/start")
        again = r.tg.last_message(USER)
        assert again["text"] == r.texts.welcome_back
        assert FakeTelegram.buttons(again) == MENU_ROWS
        assert r.rows("users") == 1


async def test_help_and_learn_from_the_menu_and_as_commands(tmp_path: Path) -> None:
    async with rig(tmp_path) as r:
        await r.consent()
        await r.tap("❓ Help")
        assert r.tg.last_message(USER)["text"] == r.texts.help
        for command in ("/hint", "/end", "/history", "/practice"):
            assert command in r.texts.help
        await r.tap("☰ Menu")
        await r.tap("📖 Learn")
        menu = r.tg.last_message(USER)["text"]
        assert menu.startswith(r.texts.learning.menu_title)
        await r.say("/learn")
        assert r.tg.sent_texts(USER)[-1] == menu
        await r.say("/nonsense")
        assert r.tg.sent_texts(USER)[-1] == r.texts.unknown_command


async def test_consent_is_per_user(tmp_path: Path) -> None:
    async with rig(tmp_path) as r:
        await r.consent(USER)
        await r.say("Hi", OTHER_USER)
        assert r.tg.sent_texts(OTHER_USER) == [r.texts.consent_required]
        assert r.rows("users") == 1


async def test_tapping_the_same_button_twice_is_harmless(tmp_path: Path) -> None:
    async with rig(tmp_path) as r:
        await r.consent()
        await r.tap("🎭 Practise")
        r.tg.fail_next("editMessageText", 400, "Bad Request: message is not modified")
        mark = r.tg.mark()
        await r.send(r.tg.callback(USER, "m:practise"))
        assert [c.method for c in r.tg.since(mark)] == ["answerCallbackQuery", "editMessageText"]

        r.tg.fail_next("editMessageText", 400, "Bad Request: message can't be edited")
        mark = r.tg.mark()
        await r.send(r.tg.callback(USER, "m:learn"))
        (modules,) = r.tg.texts_since(mark)
        assert modules.startswith(r.texts.learning.menu_title)


class CountingStore(SqlPracticeStore):
    """Counts user creations, to prove a lookup creates nothing."""

    creations = 0

    async def get_or_create_user(self, channel: str, external_id: str) -> UserRecord:
        self.creations += 1
        return await super().get_or_create_user(channel, external_id)


async def test_looking_up_a_stranger_stores_nothing(tmp_path: Path) -> None:
    async with rig(tmp_path) as r:
        store = CountingStore(r.engine)
        assert await find_trainee(store, USER) is None
        assert store.creations == 0
        assert r.rows("users") == 0
        await grant_consent(r.store, USER)
        found = await find_trainee(r.store, USER)
        assert found is not None and found.consented
