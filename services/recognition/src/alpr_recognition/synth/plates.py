"""Plates rendered with PIL: US (all states' common layouts, vanity), EU and Brazilian layouts.

A rendered plate is the plate face alone, upright; ``scenes`` and ``crops`` warp and degrade it.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter

from ..regions import EU_COUNTRIES, US_STATES
from . import fonts

LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
# Standard US serials leave out I, O and Q (they read as 1 and 0); vanity plates use them all.
SERIAL_LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"
DIGITS = "0123456789"
Color = tuple[int, int, int]

SLOGANS = (
    "DMV.CA.GOV", "SUNSHINE STATE", "LAND OF LINCOLN", "EMPIRE STATE", "LONE STAR STATE",
    "GRAND CANYON STATE", "THE GARDEN STATE", "LIVE FREE OR DIE", "FAMOUS POTATOES",
    "GREAT LAKES", "PURE MICHIGAN", "THE PEACH STATE", "FIRST IN FLIGHT", "VIRGINIA IS FOR LOVERS",
    "EVERGREEN STATE", "BIG SKY COUNTRY", "SPORTSMAN'S PARADISE", "THE SILVER STATE",
    "10,000 LAKES", "THE VOLUNTEER STATE", "HEART OF IT ALL", "COLORFUL", "WILD WONDERFUL",
    "visitPA.com", "The Natural State", "Aloha State", "Centennial State", "", "", "",
)  # fmt: skip


@dataclass(slots=True)
class Plate:
    image: Image.Image  # RGB, the plate face
    text: str  # normalised: A-Z 0-9
    region: str  # REGIONS code
    layout: str  # us | eu | br


def _ink(text: str, font_path: Path | None, size: int) -> Image.Image:
    """``text`` drawn white on black, cropped to its ink."""
    font = fonts.load(font_path, size)
    left, top, right, bottom = font.getbbox(text)
    mask = Image.new("L", (max(1, int(right - left)), max(1, int(bottom - top))), 0)
    ImageDraw.Draw(mask).text((-left, -top), text, font=font, fill=255)
    return mask


def _glyph(ch: str, font_path: Path | None, height: int, stretch: float) -> Image.Image:
    """A character's mask scaled to ``height``, its width stretched (plates use narrow faces)."""
    mask = _ink(ch, font_path, 96)
    width = max(1, round(mask.width * height / max(1, mask.height) * stretch))
    return mask.resize((width, height), Image.Resampling.LANCZOS)


# Marks between character groups on many US plates (Texas's state outline, Virginia's and
# others' emblems): the reader must learn they are not characters.
SEPARATORS = "•■★◆▲"


def _separator(kind: str, height: int) -> Image.Image:
    side = max(3, int(height * 0.42))
    mark = Image.new("L", (side, side), 0)
    draw = ImageDraw.Draw(mark)
    if kind == "•":
        draw.ellipse((0, 0, side - 1, side - 1), fill=255)
    elif kind == "■":
        draw.rectangle((0, 0, side - 1, side - 1), fill=255)
    elif kind == "◆":
        draw.polygon([(side / 2, 0), (side - 1, side / 2), (side / 2, side - 1), (0, side / 2)], fill=255)
    elif kind == "▲":  # a rough state outline
        outline = [(0, 0), (0.45, 0), (0.5, 0.35), (1, 0.45), (0.6, 1), (0.3, 0.6), (0, 0.5)]
        draw.polygon([(x * (side - 1), y * (side - 1)) for x, y in outline], fill=255)
    else:
        points = []
        for k in range(10):
            radius = side / 2 if k % 2 == 0 else side / 5
            angle = math.pi / 2 + k * math.pi / 5
            points.append((side / 2 + radius * math.cos(angle), side / 2 - radius * math.sin(angle)))
        draw.polygon(points, fill=255)
    return mark


def _text_mask(
    text: str, font_path: Path | None, height: int, stretch: float, spacing: float, gaps: dict[int, float]
) -> Image.Image:
    """Lays out ``text`` (spaces and dashes kept as drawn separators) into one mask."""
    parts: list[tuple[Image.Image | None, float]] = []
    for i, ch in enumerate(text):
        if ch == " ":
            parts.append((None, height * 0.35))
        elif ch == "-":
            bar = Image.new("L", (max(2, int(height * 0.3)), max(2, int(height * 0.1))), 255)
            parts.append((bar, 0))
        elif ch in SEPARATORS:
            parts.append((_separator(ch, height), 0))
        else:
            parts.append((_glyph(ch, font_path, height, stretch), gaps.get(i, 0.0)))
    gap = max(1, int(height * spacing))
    width = sum((p.width if p is not None else int(extra)) + gap for p, extra in parts) + gap
    mask = Image.new("L", (max(1, width), height), 0)
    x = gap
    for part, extra in parts:
        if part is None:
            x += int(extra) + gap
            continue
        y = (height - part.height) // 2
        mask.paste(part, (x, y), part)
        x += part.width + gap + int(extra)
    return mask


def _fit(mask: Image.Image, max_w: int, max_h: int) -> Image.Image:
    scale = min(max_w / mask.width, max_h / mask.height)
    return mask.resize(
        (max(1, int(mask.width * scale)), max(1, int(mask.height * scale))), Image.Resampling.LANCZOS
    )


def _paint(canvas: Image.Image, mask: Image.Image, center: tuple[int, int], color: Color) -> None:
    x = center[0] - mask.width // 2
    y = center[1] - mask.height // 2
    canvas.paste(Image.new("RGB", mask.size, color), (x, y), mask)


def _caption(rng: random.Random, text: str, max_w: int, max_h: int) -> Image.Image:
    return _fit(_ink(text, rng.choice(fonts.caption_faces()), 64), max_w, max_h)


def _clean(text: str) -> str:
    return "".join(ch for ch in text if ch.isascii() and ch.isalnum())


def _pattern(rng: random.Random, pattern: str, letters: str = LETTERS) -> str:
    return "".join(
        rng.choice(letters) if c == "L" else rng.choice(DIGITS) if c == "D" else c for c in pattern
    )


US_PATTERNS = (
    "DLLLDDD", "LLLDDDD", "LLL DDDD", "LLL-DDDD", "LLLDDD", "LLL DDD", "DDDLLL", "DDD LLL", "LLDDDDD",
    "DDDDLL", "LLL LDD", "DLL DDDD", "LL DDDDD", "DD LLLD", "LDDLLL", "LLD LLL", "DDD-LLL", "LDD DLL",
    "DDDDDD", "LLLLDDD", "DLLLDDD", "LLL•DDDD", "DDD•LLL", "DLLL•DDD",
)  # fmt: skip


def _us_text(rng: random.Random) -> str:
    if rng.random() < 0.18:  # vanity: 2-7 free characters
        length = rng.randint(2, 7)
        pool = LETTERS * 3 + DIGITS
        return "".join(rng.choice(pool) for _ in range(length))
    text = _pattern(rng, rng.choice(US_PATTERNS), SERIAL_LETTERS)
    if rng.random() < 0.4 and not any(mark in text for mark in SEPARATORS):
        mark = rng.choice(SEPARATORS)
        if " " in text or "-" in text:
            text = text.replace(" ", mark, 1).replace("-", mark, 1)
        elif len(text) >= 6:
            cut = len(text) // 2 if rng.random() < 0.5 else 3
            text = text[:cut] + mark + text[cut:]
    return text


def _light(rng: random.Random) -> Color:
    base = rng.randint(215, 255)
    return (
        min(255, base + rng.randint(-25, 5)),
        min(255, base + rng.randint(-20, 5)),
        min(255, base + rng.randint(-30, 5)),
    )


def _dark(rng: random.Random) -> Color:
    return rng.choice(
        [
            (rng.randint(0, 40), rng.randint(0, 40), rng.randint(0, 50)),
            (rng.randint(0, 40), rng.randint(20, 60), rng.randint(90, 160)),  # blue
            (rng.randint(110, 170), rng.randint(0, 30), rng.randint(0, 40)),  # maroon/red
            (rng.randint(0, 30), rng.randint(60, 110), rng.randint(20, 60)),  # green
        ]
    )


def _gradient(
    draw: ImageDraw.ImageDraw,
    size: tuple[int, int],
    top: tuple[int, ...],
    bottom: tuple[int, ...],
    power: float = 1.0,
) -> None:
    """A vertical blend from ``top`` to ``bottom`` over ``size`` (``power`` > 1 keeps the top longer)."""
    w, h = size
    for y in range(h):
        t = (y / h) ** power
        draw.line(
            [(0, y), (w, y)], fill=tuple(int(a * (1 - t) + b * t) for a, b in zip(top, bottom, strict=True))
        )


def _scenic(rng: random.Random, canvas: Image.Image) -> None:
    """Soft background art (mountains, sun, gradients) as many state plates have."""
    draw = ImageDraw.Draw(canvas)
    w, h = canvas.size
    top = _light(rng)
    bottom = tuple(max(0, c - rng.randint(0, 60)) for c in _light(rng))
    _gradient(draw, (w, h), top, bottom)
    for _ in range(rng.randint(0, 3)):
        color = tuple(min(255, max(120, c + rng.randint(-60, 10))) for c in _light(rng))
        if rng.random() < 0.5:
            peaks = (
                [(0, h)]
                + [(x, rng.randint(int(h * 0.4), h)) for x in range(0, w + 40, rng.randint(30, 90))]
                + [(w, h)]
            )
            draw.polygon(peaks, fill=color)
        else:
            r = rng.randint(h // 6, h // 2)
            cx, cy = rng.randint(0, w), rng.randint(0, h)
            draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=color)
    canvas.paste(canvas.filter(ImageFilter.GaussianBlur(rng.uniform(1, 4))))


def _bolts(rng: random.Random, canvas: Image.Image, rows: tuple[float, ...]) -> None:
    draw = ImageDraw.Draw(canvas)
    w, h = canvas.size
    r = max(2, int(h * rng.uniform(0.03, 0.05)))
    for fy in rows:
        for fx in (0.22, 0.78) if rng.random() < 0.7 else (0.12, 0.88):
            cx, cy = int(w * fx), int(h * fy)
            shade = rng.randint(60, 200)
            draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=(shade, shade, shade), outline=(40, 40, 40))


def _frame(rng: random.Random, canvas: Image.Image) -> Image.Image:
    """A dealer or chrome frame around the plate, often hiding part of the captions."""
    w, h = canvas.size
    side, top, bottom = (
        int(w * rng.uniform(0.02, 0.05)),
        int(h * rng.uniform(0.04, 0.12)),
        int(h * rng.uniform(0.06, 0.2)),
    )
    color = rng.choice([(20, 20, 20), (190, 190, 195), (120, 10, 10), (230, 230, 230)])
    framed = Image.new("RGB", (w + 2 * side, h + top + bottom), color)
    framed.paste(canvas.crop((0, 0, w, h)), (side, top))
    if rng.random() < 0.6:
        words = rng.choice(
            ["AUTO GROUP", "TOYOTA OF SAN JOSE", "HONDA", "FORD", "SUBARU", "BMW OF FRESNO", "CHEVROLET"]
        )
        text_color = (240, 240, 240) if sum(color) < 300 else (30, 30, 30)
        _paint(
            framed,
            _caption(rng, words, int(framed.width * 0.7), int(bottom * 0.7)),
            (framed.width // 2, h + top + bottom // 2),
            text_color,
        )
    return framed


def render_us(rng: random.Random, text: str | None = None, state: str | None = None) -> Plate:
    """A US plate; ``state`` (a USPS code) picks the state, and a state of ``STATE_STYLES`` is then
    drawn in its own common design two times in three (without ``state`` the draws are as before)."""
    w, h = 400, 200
    if state is not None and state in STATE_STYLES and rng.random() < 0.67:
        return _render_styled(rng, state, STATE_STYLES[state], text)
    code = state or rng.choice(list(US_STATES))
    dark_plate = rng.random() < 0.1
    if dark_plate:
        bg: Color = rng.choice([(15, 15, 20), (20, 40, 110), (10, 60, 30)])
        ink: Color = rng.choice([(240, 240, 240), (235, 200, 40)])
        canvas = Image.new("RGB", (w, h), bg)
    else:
        canvas = Image.new("RGB", (w, h), _light(rng))
        if rng.random() < 0.45:
            _scenic(rng, canvas)
        ink = _dark(rng)
    draw = ImageDraw.Draw(canvas)
    if rng.random() < 0.5:
        draw.rounded_rectangle((3, 3, w - 4, h - 4), radius=14, outline=_dark(rng), width=rng.randint(2, 5))
    name = US_STATES[code]
    name = rng.choice([name, name.upper(), name.upper()])
    caption_ink = ink if rng.random() < 0.5 else _dark(rng)
    top_h = int(h * rng.uniform(0.13, 0.22))
    _paint(
        canvas,
        _caption(rng, name, int(w * rng.uniform(0.45, 0.8)), top_h),
        (w // 2, int(h * 0.05) + top_h // 2 + 4),
        caption_ink,
    )
    slogan = rng.choice(SLOGANS)
    if slogan:
        bottom_h = int(h * rng.uniform(0.07, 0.12))
        _paint(
            canvas,
            _caption(rng, slogan, int(w * 0.6), bottom_h),
            (w // 2, h - int(h * 0.06) - bottom_h // 2),
            caption_ink,
        )
    if rng.random() < 0.5:  # registration stickers
        for fx in rng.sample([0.08, 0.92], rng.randint(1, 2)):
            sx, sy = int(w * fx), int(h * 0.12)
            sw, sh = int(w * 0.09), int(h * 0.12)
            draw.rectangle(
                (sx - sw // 2, sy - sh // 2, sx + sw // 2, sy + sh // 2),
                fill=(rng.randint(0, 255), rng.randint(0, 255), rng.randint(0, 255)),
            )
    text = text or _us_text(rng)
    font_path = rng.choice(fonts.plate_faces())
    main = _text_mask(text, font_path, 120, rng.uniform(0.55, 0.85), rng.uniform(0.04, 0.12), {})
    main = _fit(main, int(w * rng.uniform(0.78, 0.94)), int(h * rng.uniform(0.4, 0.52)))
    _paint(canvas, main, (w // 2 + rng.randint(-6, 6), int(h * rng.uniform(0.52, 0.58))), ink)
    _bolts(rng, canvas, (0.12,) if rng.random() < 0.6 else (0.12, 0.88))
    image = _frame(rng, canvas) if rng.random() < 0.35 else canvas
    return Plate(image, _clean(text), code, "us")


@dataclass(frozen=True, slots=True)
class StateStyle:
    """The common design of a state's plate: what the state model must tell apart on real photos."""

    caption: str  # the state's name as printed
    caption_ink: Color
    background: Color
    ink: Color  # the characters
    patterns: tuple[str, ...]  # serial shapes (L letter, D digit, separators kept)
    slogan: str = ""
    script: bool = False  # the caption in a slanted face (California's and Louisiana's red script)
    caption_below: bool = False  # the name under the characters (Arizona)
    sky: Color | None = None  # a gradient towards this colour at the bottom
    sticker: bool = False  # a square sticker between the groups (Missouri)


STATE_STYLES: dict[str, StateStyle] = {
    "CA": StateStyle("California", (190, 30, 40), (238, 238, 235), (25, 35, 100), ("DLLLDDD",),
                     "DMV.CA.GOV", script=True),
    "MO": StateStyle("Missouri", (40, 60, 120), (222, 226, 228), (30, 30, 45), ("LLD LDL", "DLL DDD"),
                     "SHOW-ME STATE", script=True, sky=(150, 175, 205), sticker=True),
    "TX": StateStyle("TEXAS", (15, 15, 15), (236, 236, 232), (15, 15, 15),
                     ("LLL▲DDDD", "LLD▲LDDD", "LLL▲DDD", "LLL★DDDD"), "The Lone Star State"),
    "LA": StateStyle("Louisiana", (185, 35, 45), (240, 240, 236), (20, 30, 80), ("LLL DDD", "DDD LLL"),
                     "SPORTSMAN'S PARADISE", script=True),
    "IL": StateStyle("Illinois", (170, 30, 40), (236, 240, 244), (35, 50, 120),
                     ("DDD DDDD", "LL DDDDD", "L DDD DDD"), "LAND OF LINCOLN", script=True,
                     sky=(185, 205, 230)),
    "AZ": StateStyle("ARIZONA", (110, 25, 30), (235, 230, 215), (110, 25, 30), ("LLLDDDD", "LLDDDDD"),
                     "GRAND CANYON STATE", caption_below=True, sky=(235, 160, 90)),
    "NJ": StateStyle("New Jersey", (20, 20, 20), (238, 225, 160), (20, 20, 20), ("LDDLLL", "LLL DDL"),
                     "GARDEN STATE", sky=(225, 205, 120)),
    "FL": StateStyle("MYFLORIDA.COM", (20, 90, 50), (240, 240, 236), (20, 90, 50), ("LLL LDD", "DDD LLL"),
                     "SUNSHINE STATE"),
}  # fmt: skip


def _near(rng: random.Random, color: Color, spread: int = 18) -> Color:
    r, g, b = (max(0, min(255, c + rng.randint(-spread, spread))) for c in color)
    return (r, g, b)


def _render_styled(rng: random.Random, code: str, style: StateStyle, text: str | None) -> Plate:
    w, h = 400, 200
    canvas = Image.new("RGB", (w, h), _near(rng, style.background))
    if style.sky is not None:
        top = canvas.getpixel((0, 0))
        assert isinstance(top, tuple)
        _gradient(ImageDraw.Draw(canvas), (w, h), top, _near(rng, style.sky, 25), power=1.5)
    draw = ImageDraw.Draw(canvas)
    if rng.random() < 0.5:
        draw.rounded_rectangle((3, 3, w - 4, h - 4), radius=14, outline=_near(rng, style.ink), width=3)
    faces = [f for f in fonts.caption_faces() if f is None or ("Oblique" in f.name or "Italic" in f.name)]
    face = rng.choice(faces if style.script and faces else fonts.caption_faces())
    top_h = int(h * rng.uniform(0.14, 0.22))
    name = _fit(_ink(style.caption, face, 64), int(w * rng.uniform(0.4, 0.7)), top_h)
    name_y = h - int(h * 0.06) - top_h // 2 if style.caption_below else int(h * 0.05) + top_h // 2 + 4
    _paint(canvas, name, (w // 2, name_y), _near(rng, style.caption_ink))
    if style.slogan and rng.random() < 0.8:
        small_h = int(h * rng.uniform(0.07, 0.1))
        slogan_y = int(h * 0.06) + small_h // 2 if style.caption_below else h - int(h * 0.06) - small_h // 2
        _paint(
            canvas,
            _caption(rng, style.slogan, int(w * 0.55), small_h),
            (w // 2, slogan_y),
            _near(rng, style.caption_ink),
        )
    text = text or _pattern(rng, rng.choice(style.patterns), SERIAL_LETTERS)
    main = _text_mask(
        text, rng.choice(fonts.plate_faces()), 120, rng.uniform(0.55, 0.8), rng.uniform(0.05, 0.12), {}
    )
    main = _fit(main, int(w * rng.uniform(0.78, 0.92)), int(h * rng.uniform(0.42, 0.52)))
    center = (w // 2 + rng.randint(-6, 6), int(h * rng.uniform(0.5, 0.56)))
    _paint(canvas, main, center, _near(rng, style.ink))
    if style.sticker and " " in text:  # the sticker sits in the gap between the groups
        side = int(h * 0.16)
        gap_x = center[0] - main.width // 2 + int(main.width * (text.index(" ") + 0.5) / len(text))
        color = (rng.randint(0, 255), rng.randint(0, 255), rng.randint(0, 255))
        draw.rectangle(
            (gap_x - side // 2, center[1] - side // 2, gap_x + side // 2, center[1] + side // 2), fill=color
        )
    _bolts(rng, canvas, (0.12,) if rng.random() < 0.6 else (0.12, 0.88))
    image = _frame(rng, canvas) if rng.random() < 0.35 else canvas
    return Plate(image, _clean(text), code, "us")


EU_FORMATS = {
    "D": ("LL LL DDDD", "L LL DDD", "LLL L DDD", "LL L DDDD"),
    "F": ("LL-DDD-LL",),
    "I": ("LL DDDLL", "LL DDD LL"),
    "E": ("DDDD LLL",),
    "NL": ("DD-LLL-D", "LL-DDD-L", "D-LLL-DD", "LL-DD-LL"),
    "B": ("D-LLL-DDD",),
    "P": ("DD-LL-DD", "LL-DD-LL"),
    "PL": ("LL DDDDD", "LLL DDDD"),
    "CZ": ("DLD DDDD",),
    "A": ("L DDDD L", "LL DDD LL"),
}


def render_eu(rng: random.Random, text: str | None = None) -> Plate:
    w, h = 520, 112
    sign = rng.choice(list(EU_COUNTRIES))
    fmt = rng.choice(EU_FORMATS.get(sign, ("LL DDD LL", "LLL DDD", "DDD LLL", "LL DDDD", "LLL DDDD")))
    text = text or _pattern(rng, fmt, SERIAL_LETTERS if rng.random() < 0.7 else LETTERS)
    yellow = sign == "NL" and rng.random() < 0.7 or rng.random() < 0.08
    canvas = Image.new("RGB", (w, h), (245, 200, 20) if yellow else _light(rng))
    draw = ImageDraw.Draw(canvas)
    band = int(w * 0.085)
    if rng.random() < 0.9:
        draw.rectangle((0, 0, band, h), fill=(0, rng.randint(40, 70), rng.randint(140, 200)))
        for k in range(12):
            angle = 2 * math.pi * k / 12
            cx = band / 2 + math.cos(angle) * band * 0.28
            cy = h * 0.3 + math.sin(angle) * band * 0.28
            draw.ellipse((cx - 2, cy - 2, cx + 2, cy + 2), fill=(250, 220, 0))
        _paint(
            canvas,
            _caption(rng, sign, int(band * 0.8), int(h * 0.3)),
            (band // 2, int(h * 0.75)),
            (245, 245, 245),
        )
    else:
        band = 0
    draw.rectangle((1, 1, w - 2, h - 2), outline=(20, 20, 20), width=rng.randint(1, 4))
    font_path = rng.choice(fonts.plate_faces())
    main = _text_mask(text, font_path, 120, rng.uniform(0.6, 0.9), rng.uniform(0.04, 0.1), {})
    main = _fit(main, int((w - band) * rng.uniform(0.82, 0.94)), int(h * rng.uniform(0.66, 0.78)))
    _paint(canvas, main, (band + (w - band) // 2, h // 2 + rng.randint(-3, 3)), (15, 15, 15))
    return Plate(canvas, _clean(text), EU_COUNTRIES[sign], "eu")


BR_CITIES = (
    "SP - SAO PAULO",
    "RJ - RIO DE JANEIRO",
    "MG - BELO HORIZONTE",
    "PR - CURITIBA",
    "RS - PORTO ALEGRE",
    "BA - SALVADOR",
    "SC - FLORIANOPOLIS",
    "GO - GOIANIA",
)


def render_br(rng: random.Random, text: str | None = None) -> Plate:
    if (text is None and rng.random() < 0.3) or (
        text is not None and "-" not in text and text[3:4].isdigit() and text[4:5].isalpha()
    ):  # Mercosur: white, blue band on top, ABC1D23
        w, h = 400, 130
        canvas = Image.new("RGB", (w, h), _light(rng))
        draw = ImageDraw.Draw(canvas)
        draw.rectangle((0, 0, w, int(h * 0.22)), fill=(0, 50, 160))
        _paint(
            canvas,
            _caption(rng, "BRASIL", int(w * 0.3), int(h * 0.15)),
            (w // 2, int(h * 0.11)),
            (245, 245, 245),
        )
        draw.rectangle((1, 1, w - 2, h - 2), outline=(20, 20, 20), width=3)
        text = text or _pattern(rng, "LLLDLDD")
        main = _text_mask(text, rng.choice(fonts.plate_faces()), 120, rng.uniform(0.6, 0.85), 0.08, {})
        main = _fit(main, int(w * 0.9), int(h * 0.6))
        _paint(canvas, main, (w // 2, int(h * 0.61)), (15, 15, 15))
        return Plate(canvas, _clean(text), "BRA", "br")
    w, h = 400, 130
    red = rng.random() < 0.15
    grey, dark = rng.randint(160, 215), rng.randint(0, 35)
    bg: Color = (170, 20, 20) if red else (grey, grey, grey)
    ink: Color = (235, 235, 235) if red else (dark, dark, dark)
    canvas = Image.new("RGB", (w, h), bg)
    draw = ImageDraw.Draw(canvas)
    draw.rectangle((2, 2, w - 3, h - 3), outline=ink, width=rng.randint(2, 4))
    _paint(
        canvas,
        _caption(rng, rng.choice(BR_CITIES), int(w * 0.7), int(h * 0.16)),
        (w // 2, int(h * 0.14)),
        ink,
    )
    text = text or _pattern(rng, "LLL-DDDD")
    main = _text_mask(text, rng.choice(fonts.plate_faces()), 120, rng.uniform(0.6, 0.85), 0.06, {})
    main = _fit(main, int(w * 0.92), int(h * 0.62))
    _paint(canvas, main, (w // 2, int(h * 0.62)), ink)
    for fx in (0.1, 0.9):
        cx, cy, r = int(w * fx), int(h * 0.14), 5
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=(90, 90, 90))
    return Plate(canvas, _clean(text), "BRA", "br")


def render_plate(rng: random.Random, layout: str | None = None) -> Plate:
    """One random plate; ``layout`` picks ``us``, ``eu`` or ``br`` (US most often by default)."""
    choice = layout or rng.choices(["us", "eu", "br"], weights=[0.6, 0.2, 0.2])[0]
    return {"us": render_us, "eu": render_eu, "br": render_br}[choice](rng)


def render_text(rng: random.Random, text: str, layout: str = "us") -> Plate:
    """A plate of ``layout`` showing exactly ``text`` (tests choose the strings)."""
    return {"us": render_us, "eu": render_eu, "br": render_br}[layout](rng, text)
