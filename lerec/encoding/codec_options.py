"""What the local FFmpeg publishes about an encoder (via PyAV), and checking one option value against it."""

from __future__ import annotations

import difflib
import functools
import re
from typing import Any

import av

from lerec.encoding.av_compat import CodecOption, encoder_options
from lerec.encoding.ffmpeg_mapping import option_text
from lerec.errors import EncoderConfigError

# FFmpeg's bool parser (set_string_bool) accepts these words besides numbers.
BOOL_WORDS = {"auto", "true", "y", "yes", "enable", "false", "n", "no", "disable"}
# ffmpeg command-line spellings that are not AVOptions; through PyAV they would be silently ignored.
COMMAND_LINE_ONLY = {"q": "global_quality (with flags=+qscale)", "qscale": "global_quality (with flags=+qscale)"}

# A number as FFmpeg's av_strtod reads it: optional SI prefix, optional binary `i`, optional `B` (x8).
_NUMBER = re.compile(r"^([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)([kKMGTP]?)(i?)(B?)$")
_SI = {"": 0, "k": 1, "K": 1, "M": 2, "G": 3, "T": 4, "P": 5}
_HUGE = 2.0**31 - 1


@functools.cache
def video_encoder(name: str) -> av.codec.Codec | None:
    """The local FFmpeg's video encoder called ``name``, or None."""
    try:
        codec = av.codec.Codec(name, "w")
    except Exception:
        return None
    return codec if codec.type == "video" else None


@functools.cache
def published_options(encoder: str) -> dict[str, CodecOption]:
    """Every option ``encoder`` publishes: FFmpeg's generic codec options, then the encoder's private ones."""
    return {option.name: option for option in encoder_options(encoder)}


def encoder_pix_fmts(encoder: str) -> tuple[str, ...]:
    codec = video_encoder(encoder)
    return tuple(f.name for f in (codec.video_formats or ())) if codec else ()


@functools.cache
def pix_fmt_components(pix_fmt: str) -> int:
    """How many components (channels) ``pix_fmt`` carries; raises ValueError for an unknown name."""
    return len(av.VideoFormat(pix_fmt).components)


def parse_number(text: str) -> float | None:
    """``text`` as FFmpeg reads a number (``2M`` is 2e6, ``1Ki`` 1024), or None."""
    match = _NUMBER.match(text.strip())
    if not match:
        return None
    number, prefix, binary, byte = match.groups()
    base = 1024.0 if binary else 1000.0
    return float(number) * base ** _SI[prefix] * (8 if byte else 1)


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


def describe_allowed(option: CodecOption) -> str:
    """What ``option`` accepts, in words: ``an integer from 0 to 63 or one of: auto``."""
    kind = option.kind
    choices = list(option.choices)
    if kind in ("int", "float"):
        noun = "an integer" if kind == "int" else "a number"
        lo, hi = option.min, option.max
        if lo < hi and hi >= _HUGE and lo <= -_HUGE:
            text = noun
        elif lo < hi and hi >= _HUGE:
            text = f"{noun} >= {_fmt(lo)}"
        elif lo < hi:
            text = f"{noun} from {_fmt(lo)} to {_fmt(hi)}"
        else:
            text = noun
    elif kind == "bool":
        text = "a bool (0/1, true/false)"
    elif kind == "flags":
        text = "flags such as +name-name"
    else:
        text = "a string"
    if choices:
        text += " or one of: " + ", ".join(choices)
    return text


def suggest(name: str, candidates: list[str], n: int = 3) -> str:
    """``; did you mean crf?`` for the ``n`` closest candidates, or an empty string."""
    close = difflib.get_close_matches(name, candidates, n=n, cutoff=0.6)
    return f"; did you mean {' or '.join(close)}?" if close else ""


def unknown_option_error(encoder: str, name: str, label: str) -> EncoderConfigError:
    """The error for an option name that neither ``encoder`` nor FFmpeg's generic codec options know."""
    options = published_options(encoder)
    base = name.split(":", 1)[0]
    if ":" in name and (base in options or base in COMMAND_LINE_ONLY):
        hint = f"; stream specifiers are ffmpeg command-line syntax, use {COMMAND_LINE_ONLY.get(base, repr(base))}"
    elif base in COMMAND_LINE_ONLY:
        hint = f"; {base!r} is ffmpeg command-line syntax, use {COMMAND_LINE_ONLY[base]}"
    else:
        applicable = [n for n, o in options.items() if _is_video_encoding(o)]
        hint = suggest(name, applicable)
    return EncoderConfigError(
        f"{label}: unknown option {name!r} for {encoder} (neither {encoder} nor FFmpeg's generic codec options "
        f"know it, so FFmpeg would ignore it){hint}"
    )


def _is_video_encoding(option: CodecOption) -> bool:
    return option.is_encoding and option.is_video


def check_option_value(encoder: str, option: CodecOption, value: Any, label: str) -> None:
    """Raise EncoderConfigError unless ``value`` is valid for ``option`` by its published type, range and
    named constants. Nested option strings (``x265-params``, ``svtav1-params``) pass as they are."""

    def fail(problem: str) -> EncoderConfigError:
        allowed = describe_allowed(option)
        return EncoderConfigError(f"{label}: {problem}; {encoder}'s option {option.name!r} takes {allowed}")

    if not option.is_encoding:
        raise EncoderConfigError(f"{label}: {option.name!r} is a decoding option; {encoder} would ignore it")
    if not option.is_video:
        raise EncoderConfigError(f"{label}: {option.name!r} is not a video option; {encoder} would ignore it")
    if value is None or isinstance(value, (dict, list, tuple, set)):
        raise fail("not a single value")
    text = option_text(value)
    choices = list(option.choices)
    kind = option.kind
    if kind in ("int", "float"):
        if text in choices:
            return
        if isinstance(value, bool):
            raise fail("a bool, not a number")
        number = parse_number(text)
        if number is None:
            problem = "neither a number nor a named constant" if choices else "not a number"
            raise fail(problem + suggest(text, choices))
        if kind == "int" and not number.is_integer():
            raise fail("not an integer")
        if option.min < option.max and not option.min <= number <= option.max:
            raise fail("out of range")
    elif kind == "bool":
        if text.lower() not in BOOL_WORDS and parse_number(text) not in (0.0, 1.0, -1.0):
            raise fail("not a bool")
    elif kind == "flags":
        for token in filter(None, re.split(r"[+-]", text)):
            if token not in choices and parse_number(token) is None:
                raise fail(f"unknown flag {token!r}" + suggest(token, choices))
    elif kind == "string" and choices and text not in choices:
        raise fail("not a named choice" + suggest(text, choices))
