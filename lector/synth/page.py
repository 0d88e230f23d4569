"""Whole synthetic pages with known words and boxes: receipts for the demo and pipeline tests.

`render_receipt(seed)` lays out a shop receipt (header, address, items with right-aligned
prices, totals) in a receipt-like face; `photo_like` adds mild camera effects (tilt, uneven
light, blur, noise, JPEG) while keeping the word boxes true.
"""
from __future__ import annotations

import random
from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from lector.core.geometry import Box
from lector.synth.corpus import date, price, time_of_day

RECEIPT_FONTS = ("/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf",
                 "/usr/share/fonts/truetype/liberation2/LiberationMono-Regular.ttf",
                 "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
ITEMS = ("MILK 1L", "WHITE BREAD", "EGGS 10PCS", "COFFEE 200G", "TISSUE PAPER", "MINERAL WATER",
         "ORANGE JUICE", "RICE 5KG", "SUGAR 1KG", "A4 PAPER", "BATTERY AA", "CHICKEN WINGS")


@dataclass(frozen=True)
class TruthWord:
    text: str
    box: Box
    line: int


def _font(size: int, seed: int) -> ImageFont.FreeTypeFont:
    for path in RECEIPT_FONTS[seed % len(RECEIPT_FONTS):] + RECEIPT_FONTS:
        try:
            return ImageFont.truetype(path, size)
        except OSError:
            continue
    raise RuntimeError("no receipt font installed (fonts-dejavu or fonts-liberation2)")


def receipt_lines(rng: random.Random) -> list[tuple[str, str]]:
    """(left text, right text) per line; the right part is right-aligned (prices)."""
    shop = rng.choice(["GREEN LEAF", "CORNER", "SUNRISE", "BLUE OCEAN", "MAPLE"]) + " " + rng.choice(
        ["MART", "STORE", "TRADING", "CAFE"])
    lines = [(shop, ""), (f"{rng.randint(1, 99)} JALAN {rng.choice(['MAWAR', 'BUNGA', 'RAYA'])}", ""),
             (f"TEL: 03-{rng.randint(1000000, 9999999)}", ""), ("", ""),
             (f"DATE: {date(rng)}", time_of_day(rng)), (f"RECEIPT NO: {rng.randint(10000, 99999)}", ""), ("", "")]
    total = 0.0
    for item in rng.sample(ITEMS, 5):
        value = round(rng.uniform(1, 40), 2)
        total += value
        lines.append((item, f"{value:.2f}"))
    lines += [("", ""), ("SUBTOTAL", f"{total:.2f}"), ("TAX 6%", f"{total * 0.06:.2f}"),
              ("TOTAL", f"{total * 1.06:.2f}"), ("CASH", f"{price(rng).lstrip('-$€£RMUSD ')}"), ("", ""),
              ("THANK YOU PLEASE COME AGAIN", "")]
    return lines


def render_receipt(seed: int = 0, width: int = 640, font_size: int = 22) -> tuple[np.ndarray, list[TruthWord]]:
    """An RGB receipt page and the box of every word on it (page pixels)."""
    rng = random.Random(seed)
    font = _font(font_size, seed)
    lines = receipt_lines(rng)
    line_h = int(font_size * 1.6)
    height = line_h * (len(lines) + 4)
    page = Image.new("L", (width, height), 250)
    draw = ImageDraw.Draw(page)
    words: list[TruthWord] = []
    margin = 40
    for row, (left, right) in enumerate(lines):
        y = margin + row * line_h
        for text, align_right in ((left, False), (right, True)):
            if not text:
                continue
            x = width - margin - draw.textlength(text, font=font) if align_right else margin
            for token in text.split(" "):
                if token:
                    x0, y0, x1, y1 = draw.textbbox((x, y), token, font=font)
                    draw.text((x, y), token, font=font, fill=25)
                    words.append(TruthWord(token, Box(x0, y0, x1, y1), row))
                x += draw.textlength(token + " ", font=font)
    return cv2.cvtColor(np.asarray(page), cv2.COLOR_GRAY2RGB), words


def photo_like(image: np.ndarray, words: list[TruthWord], seed: int = 0, tilt_deg: float = 1.0,
               ) -> tuple[np.ndarray, list[TruthWord]]:
    """Mild camera effects; word boxes follow the tilt (as axis-aligned boxes of the turned corners)."""
    rng = np.random.default_rng(seed)
    h, w = image.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), tilt_deg, 1.0)
    out = cv2.warpAffine(image, m, (w, h), borderValue=(250, 250, 250)).astype(np.float32)
    light = np.linspace(1.0, rng.uniform(0.75, 0.9), w, dtype=np.float32)[None, :, None]
    out = out * light
    out = cv2.GaussianBlur(out, (0, 0), 0.7) + rng.normal(0, 4, out.shape)
    out = np.clip(out, 0, 255).astype(np.uint8)
    ok, buf = cv2.imencode(".jpg", out, [cv2.IMWRITE_JPEG_QUALITY, 80])
    out = cv2.imdecode(buf, cv2.IMREAD_UNCHANGED)
    moved = []
    for word in words:
        b = word.box
        corners = np.array([[b.x0, b.y0, 1], [b.x1, b.y0, 1], [b.x0, b.y1, 1], [b.x1, b.y1, 1]]) @ m.T
        moved.append(TruthWord(word.text, Box(corners[:, 0].min(), corners[:, 1].min(),
                                              corners[:, 0].max(), corners[:, 1].max()), word.line))
    return out, moved
