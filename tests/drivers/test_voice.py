"""EspeakVoice and NoVoice: what the station says when it calls a number, through the real espeak-ng."""

from __future__ import annotations

import array
import io
import shutil
import wave

import pytest

from drivers.voice import EspeakVoice, NoVoice, fix_wav_sizes

needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None,
                                  reason="espeak-ng is not installed (`make test` installs it)")
CALL = "请 A 0 0 1 号，到 1 号窗口"


def heard(data: bytes) -> tuple[float, int]:
    """Seconds of sound in a WAV and its loudest sample, as a listener would notice them."""
    with wave.open(io.BytesIO(data)) as w:
        seconds = w.getnframes() / w.getframerate()
        samples = array.array("h", w.readframes(w.getnframes()))
    return seconds, max(abs(s) for s in samples)


@needs_espeak
def test_a_call_is_spoken_in_mandarin_as_a_playable_wav() -> None:
    voice = EspeakVoice()
    assert voice.available
    data = voice.wav(CALL)
    assert data is not None and data.startswith(b"RIFF") and data[8:12] == b"WAVE"
    assert len(data) > 5000
    seconds, loudest = heard(data)
    assert seconds > 1.0 and loudest > 1000      # a few words, not silence


@needs_espeak
def test_mandarin_uses_the_voice_that_reads_characters_right() -> None:
    voice = EspeakVoice()
    assert voice.available
    assert voice.voice_for("zh") in ("cmn-latn-pinyin", "cmn")
    assert voice.voice_for("en") == "en"


@needs_espeak
def test_english_is_spoken_and_tibetan_has_no_voice() -> None:
    voice = EspeakVoice()
    assert voice.wav("Number A 0 0 1, counter 1", "en").startswith(b"RIFF")
    assert voice.wav("ཨང་ A001", "bo") is None


@needs_espeak
def test_the_last_texts_are_kept_so_a_repeated_call_needs_no_new_run() -> None:
    voice = EspeakVoice(cache_size=2)
    first = voice.wav(CALL)
    voice.program = "/nonexistent/espeak-ng"     # from now on a new text cannot be spoken
    assert voice.wav(CALL) == first
    assert voice.wav("请 B 0 0 2 号，到 2 号窗口") is None


def test_without_espeak_there_is_no_voice_and_no_error() -> None:
    voice = EspeakVoice(program="no-such-espeak-ng")
    assert not voice.available
    assert voice.wav(CALL) is None


def test_no_voice_says_nothing() -> None:
    assert NoVoice().wav(CALL) is None
    assert NoVoice().wav("Number A001", "en") is None


def test_wav_sizes_from_a_pipe_are_set_to_the_real_length() -> None:
    body = b"\x01\x00" * 100
    piped = (b"RIFF" + b"\xff\xff\xff\x7f" + b"WAVE" + b"fmt " + (16).to_bytes(4, "little")
             + bytes.fromhex("01000100" "22560000" "44ac0000" "02001000") + b"data" + b"\xff\xff\xff\x7f" + body)
    fixed = fix_wav_sizes(piped)
    with wave.open(io.BytesIO(fixed)) as w:
        assert w.getnframes() == 100
    assert int.from_bytes(fixed[4:8], "little") == len(fixed) - 8
