"""Voice notes (transcribed where configured) and other non-text messages."""

from __future__ import annotations

import html
from pathlib import Path

from bot.adapters.openai_llm import OpenAITranscriber, make_client
from bot.domain.ids import Speaker
from tests.fakes.openai_server import FakeOpenAI, FakeReply
from tests.telegram_kit import USER, Rig, rig
from tests.test_telegram_practice import META, PERSONA

AUDIO = b"OggS\x00\x02fake-opus-voice-note" * 50
SPOKEN = "I notice things got tense between us when I brought up the homework <again> & I'm sorry."


async def trainee_turns(r: Rig) -> list[str]:
    session = await r.practice.active((await r.trainee()).id)
    assert session is not None
    return [t.text for t in session.turns if t.speaker is Speaker.TRAINEE]


async def test_stickers_and_photos_get_a_friendly_word_and_the_session_goes_on(
    tmp_path: Path,
) -> None:
    async with rig(tmp_path) as r:
        await r.consent()
        await r.start_session(PERSONA)
        for update in (r.tg.sticker(USER), r.tg.photo(USER, caption="look at this")):
            mark = r.tg.mark()
            await r.send(update)
            assert r.tg.texts_since(mark) == [r.texts.non_text]
        assert await trainee_turns(r) == []
        mark = r.tg.mark()
        await r.say(META)
        assert r.tg.texts_since(mark)[0].startswith("<b>Daniel:</b> ")
        assert await trainee_turns(r) == [META]


async def test_voice_without_transcription_says_so(tmp_path: Path) -> None:
    async with rig(tmp_path) as r:
        await r.consent()
        await r.start_session(PERSONA)
        mark = r.tg.mark()
        await r.send(r.tg.voice(USER, AUDIO))
        assert r.tg.texts_since(mark) == [r.texts.voice_unavailable]
        assert r.tg.since(mark, "getFile") == []
        assert await trainee_turns(r) == []


async def test_a_voice_reply_is_transcribed_echoed_and_answered(tmp_path: Path) -> None:
    async with FakeOpenAI() as ai:
        ai.enqueue_transcription(FakeReply.text(SPOKEN))
        async with make_client(ai.base_url, "k", timeout_s=5, max_retries=0) as client:
            transcriber = OpenAITranscriber(client, "whisper-test")
            async with rig(tmp_path, transcriber=transcriber) as r:
                await r.consent()
                await r.start_session(PERSONA)
                mark = r.tg.mark()
                await r.send(r.tg.voice(USER, AUDIO))

                (request,) = ai.audio_requests
                assert request.files["file"][1] == AUDIO
                assert request.body["model"] == "whisper-test"
                assert request.body["language"] == "en"
                methods = [c.method for c in r.tg.since(mark)]
                assert methods[:2] == ["sendChatAction", "getFile"]
                texts = r.tg.texts_since(mark)
                assert texts[0] == "🎙 I heard: “" + html.escape(SPOKEN, quote=False) + "”"
                assert texts[1].startswith("<b>Daniel:</b> ")
                assert await trainee_turns(r) == [SPOKEN]


async def test_a_voice_note_that_cannot_be_transcribed(tmp_path: Path) -> None:
    async with FakeOpenAI() as ai:
        ai.enqueue_transcription(FakeReply.error(500), FakeReply.text("   "))
        async with make_client(ai.base_url, "k", timeout_s=5, max_retries=0) as client:
            transcriber = OpenAITranscriber(client, "whisper-test")
            async with rig(tmp_path, transcriber=transcriber) as r:
                await r.consent()
                await r.start_session(PERSONA)
                mark = r.tg.mark()
                await r.send(r.tg.voice(USER, AUDIO))
                assert r.tg.texts_since(mark) == [r.texts.voice_failed]
                mark = r.tg.mark()
                await r.send(r.tg.voice(USER, AUDIO))
                assert r.tg.texts_since(mark) == [r.texts.voice_empty]
                assert await trainee_turns(r) == []
