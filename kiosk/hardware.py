"""Builds the station's devices from configuration: the one place that knows `drivers/`.

Simulation is a choice of driver, not a branch in the core: `kind = "sim"`
gives twins that behave like the devices (escpos Dummy paper, a reader you can
tap, gpiozero MockFactory pins) behind the same interfaces.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from .base.errors import HardwareError
from .base.texts import BUNDLED_FONTS
from .config import Config, DeviceSettings, LockerSettings


@dataclass
class Hardware:
    printer: Any
    reader: Any
    lockers: Any
    buttons: Any = None         # the counters' call buttons, when `[[counter_buttons]]` has any

    def close(self) -> None:
        self.reader.stop()
        self.lockers.close()
        if self.buttons is not None:
            self.buttons.close()


def build(config: Config) -> Hardware:
    """Open every configured device; raise HardwareError naming the one that failed."""
    printer = build_printer(config.printer)
    reader = build_reader(config.card_reader)
    lockers = build_lockers(config.lockers)
    try:
        buttons = build_buttons(config)
    except HardwareError:
        reader.stop()
        lockers.close()
        raise
    return Hardware(printer=printer, reader=reader, lockers=lockers, buttons=buttons)


def build_printer(settings: DeviceSettings) -> Any:
    from drivers.printer import open_printer
    from drivers.raster import find_fonts
    from drivers.sim_printer import SimPrinter

    options = dict(settings.options)
    profile, text_mode = options.pop("profile"), options.pop("text")
    fonts = find_fonts(str(BUNDLED_FONTS))   # the slips look the same whatever fonts the Pi has
    try:
        if settings.kind == "sim":
            return SimPrinter(profile=profile, text_mode=text_mode, fonts=fonts)
        return open_printer(settings.kind, profile=profile, text_mode=text_mode, fonts=fonts, **options)
    except (OSError, ValueError, ImportError) as exc:
        raise HardwareError(f"printer ({settings.kind}): cannot be opened: {exc}") from None


def build_reader(settings: DeviceSettings) -> Any:
    from drivers.card_reader import SerialCardReader, SimCardReader

    if settings.kind == "sim":
        return SimCardReader()
    if settings.kind in ("rdm6300", "serial-line"):
        # The reader thread opens the device and keeps retrying while it is absent.
        return SerialCardReader(settings.options["device"], kind=settings.kind,
                                baudrate=settings.options["baudrate"],
                                debounce_s=settings.options["debounce_seconds"])
    if settings.kind == "evdev":
        from drivers.card_evdev import EvdevCardReader

        try:  # the thread opens and grabs the device later; only a missing python-evdev fails here
            return EvdevCardReader(settings.options["device"], debounce_s=settings.options["debounce_seconds"])
        except (OSError, ImportError) as exc:
            raise HardwareError(f"card reader (evdev): {exc}") from None
    raise HardwareError(f'card_reader.kind = "{settings.kind}" is not supported by this vstation version yet')


def build_lockers(settings: LockerSettings) -> Any:
    from drivers.lockers import GpioLockerBank, SimLockerBank

    slots = [(s.id, s.lock_pin, s.door_pin, s.item_pin) for s in settings.slots]
    opts = settings.options
    pulse = opts["pulse_seconds"]
    try:
        if settings.kind == "sim":   # umbrella slots with an item sensor start with an umbrella in them
            stocked = [s.id for s in settings.slots if s.purpose == "umbrella" and s.item_pin is not None]
            return SimLockerBank(slots, pulse_s=pulse, stocked=stocked)
        if settings.kind == "gpio":
            return GpioLockerBank(slots, pulse_s=pulse, active_high=opts["active_high"])
        if settings.kind == "rs485":
            from drivers.lock_board import Rs485LockerBank

            return Rs485LockerBank(opts["device"], [(s.id, s.board, s.channel) for s in settings.slots],
                                   baudrate=opts["baudrate"], reply_timeout_s=opts["reply_timeout_seconds"],
                                   poll_s=opts["poll_seconds"])
    except Exception as exc:  # gpiozero raises its own tree (BadPinFactory, PinInvalidPin, …)
        raise HardwareError(f"lockers ({settings.kind}): cannot be opened: {exc}") from None
    raise HardwareError(f'lockers.kind = "{settings.kind}" is not supported by this vstation version yet')


def build_buttons(config: Config) -> Any:
    """The counters' call buttons: gpiozero Buttons (gpio, or sim on a MockFactory) and evdev keypads, as one
    bank with `when_press(counter, action)` and `close()`; None when none is configured."""
    from drivers.counter_buttons import EvdevCounterKeypad, GpioCounterButtons, SimCounterButtons

    parts: list[Any] = []
    try:
        for kind, cls in (("gpio", GpioCounterButtons), ("sim", SimCounterButtons)):
            pins = {(b.counter, a): int(p) for b in config.counter_buttons if b.kind == kind for a, p in b.keys.items()}
            if pins:
                parts.append(cls(pins))
        for device in sorted({b.device for b in config.counter_buttons if b.kind == "evdev"}):
            parts.append(EvdevCounterKeypad(device, _key_codes(config, device)).start())
    except Exception as exc:  # ImportError, a key name evdev lacks, gpiozero's own tree (BadPinFactory, …)
        _close_all(parts)
        raise HardwareError(f"counter_buttons: cannot be opened: {exc}") from None
    return ButtonBank(parts) if parts else None


def _key_codes(config: Config, device: str) -> dict[int, tuple[str, str]]:
    from evdev import ecodes

    codes = {}
    for buttons in config.counter_buttons:
        if buttons.kind == "evdev" and buttons.device == device:
            for action, name in buttons.keys.items():
                if name not in ecodes.ecodes:
                    raise ValueError(f"counter {buttons.counter} {action} = {name!r} is not a key name")
                codes[ecodes.ecodes[name]] = (buttons.counter, action)
    return codes


def _close_all(parts: list[Any]) -> None:
    for part in parts:
        part.close()


class ButtonBank:
    """Every counter's buttons behind one `when_press` (the station's) and one `close()`."""

    def __init__(self, parts: list[Any]) -> None:
        self.parts = parts

    @property
    def when_press(self) -> Callable[[str, str], None]:
        return self.parts[0].when_press

    @when_press.setter
    def when_press(self, callback: Callable[[str, str], None]) -> None:
        for part in self.parts:
            part.when_press = callback

    def press(self, counter: str, action: str) -> bool:
        """Press a simulated button (the simulator panel); False when there is none for it."""
        for part in self.parts:
            if hasattr(part, "press") and part.has(counter, action):
                part.press(counter, action)
                return True
        return False

    def close(self) -> None:
        _close_all(self.parts)


def openers() -> dict[str, Callable[[Any], Any]]:
    """How `vstation check` opens each kind of device (kiosk/upkeep/checkup.py)."""
    return {"printer": build_printer, "card_reader": build_reader, "lockers": build_lockers}


def build_voice() -> Any:
    """Speech for calling numbers: espeak-ng's Mandarin voice if installed, else silence (a chime only)."""
    from drivers.voice import EspeakVoice, NoVoice

    voice = EspeakVoice()
    return voice if voice.available else NoVoice()
