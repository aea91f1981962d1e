"""Offline speech for calling numbers: espeak-ng with its Mandarin voice, or silence.

espeak-ng writes a WAV to stdout with placeholder sizes in its header (it
cannot seek back on a pipe); the sizes are patched here, so a browser's
`<audio>` knows the length of what it plays. Tibetan has no espeak-ng voice:
asking for "bo" gives None, and the screen falls back to its chime.

Mandarin: Debian 12's espeak-ng 1.51 `cmn` voice ("latin as English") reads
the pinyin of many characters as English words (请 qing3 comes out as "king
three"); its sibling `cmn-latn-pinyin` says them right and reads a lone
capital such as "A" the same way. So "zh" uses `cmn-latn-pinyin` when it is
listed, else `cmn`.
"""

from __future__ import annotations

import logging
import shutil
import struct
import subprocess
import threading
from collections import OrderedDict

__all__ = ["EspeakVoice", "NoVoice", "VOICES", "fix_wav_sizes"]

log = logging.getLogger(__name__)

VOICES: dict[str, str | None] = {"zh": "cmn", "en": "en", "bo": None}   # screen language -> espeak-ng voice
PINYIN_VOICE = "cmn-latn-pinyin"     # preferred for "zh" when installed (see above)
SPEED_WPM = 150
TIMEOUT_S = 10.0
CACHE_SIZE = 64


def fix_wav_sizes(data: bytes) -> bytes:
    """Set the RIFF and `data` chunk sizes to the real lengths (espeak-ng's stdout leaves them huge)."""
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        return data
    out = bytearray(data)
    out[4:8] = struct.pack("<I", len(out) - 8)
    pos = 12
    while pos + 8 <= len(out):
        chunk, size = bytes(out[pos:pos + 4]), struct.unpack("<I", out[pos + 4:pos + 8])[0]
        if chunk == b"data":
            out[pos + 4:pos + 8] = struct.pack("<I", len(out) - pos - 8)
            break
        pos += 8 + size + (size & 1)
    return bytes(out)


class EspeakVoice:
    """Speech through the `espeak-ng` program; the last 64 texts are kept in memory."""

    def __init__(self, program: str = "espeak-ng", *, speed: int = SPEED_WPM, timeout: float = TIMEOUT_S,
                 cache_size: int = CACHE_SIZE) -> None:
        """Remember how to call espeak-ng; nothing runs until `available` or `wav` is asked."""
        self.program = program
        self.speed = speed
        self.timeout = timeout
        self.cache_size = cache_size
        self._mandarin: list[str] | None = None
        self._cache: OrderedDict[tuple[str, str], bytes] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def available(self) -> bool:
        """espeak-ng is installed and has a Mandarin voice (checked once, on first use)."""
        if self._mandarin is None:
            self._mandarin = self._mandarin_voices()
        return bool(self._mandarin)

    def _mandarin_voices(self) -> list[str]:
        """The Mandarin voices `espeak-ng --voices=cmn` lists (none when the program is missing)."""
        path = shutil.which(self.program)
        if path is None:
            return []
        try:
            done = subprocess.run([path, "--voices=cmn"], capture_output=True, text=True, timeout=self.timeout)
        except (OSError, subprocess.SubprocessError):
            return []
        if done.returncode != 0:
            return []
        rows = [r.split() for r in done.stdout.splitlines()[1:]]     # the first line is the column header
        return [r[1] for r in rows if len(r) > 1 and r[1].startswith("cmn")]

    def voice_for(self, lang: str) -> str | None:
        """The espeak-ng voice for a screen language, or None when there is none."""
        voice = VOICES.get(lang)
        if voice == "cmn" and self.available and PINYIN_VOICE in (self._mandarin or []):
            return PINYIN_VOICE
        return voice

    def wav(self, text: str, lang: str = "zh") -> bytes | None:
        """`text` spoken in `lang` as WAV bytes; None without espeak-ng, without a voice, or on failure."""
        voice = self.voice_for(lang) if self.available else None
        if voice is None or not text.strip():
            return None
        key = (voice, text)
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        data = self._speak(voice, text)
        if data is not None:
            with self._lock:
                self._cache[key] = data
                while len(self._cache) > self.cache_size:
                    self._cache.popitem(last=False)
        return data

    def _speak(self, voice: str, text: str) -> bytes | None:
        """Run espeak-ng once; the text goes as one argument, never through a shell."""
        cmd = [self.program, "-v", voice, "-s", str(self.speed), "--stdout", "--", text]
        try:
            done = subprocess.run(cmd, capture_output=True, timeout=self.timeout)
        except (OSError, subprocess.SubprocessError) as exc:
            log.warning("espeak-ng failed for %r: %s", text, exc)
            return None
        if done.returncode != 0 or not done.stdout.startswith(b"RIFF"):
            log.warning("espeak-ng gave no sound for %r: %s", text, done.stderr.decode(errors="replace").strip())
            return None
        return fix_wav_sizes(done.stdout)


class NoVoice:
    """The station without speech: every call is announced by the screen's chime alone."""

    available = False

    def wav(self, text: str, lang: str = "zh") -> bytes | None:
        """Always None: there is nothing to say it with."""
        return None
