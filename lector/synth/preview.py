"""`lector synth grid`: a picture of 64 samples with their labels, to see what the net learns from."""
from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from lector.recognize.preprocess import normalise_crop


def write_grid(path: Path, seed: int = 0, count: int = 64, width: int = 420) -> None:
    from lector.synth.corpus import Corpus
    from lector.synth.fonts import load_collection
    from lector.synth.render import CropGenerator
    faces, _ = load_collection()
    generator = CropGenerator(Corpus.load(), faces, seed=seed)
    rows = 32
    sheet = Image.new("L", (2 * (width + 260), rows * (count // 2) + 4), 255)
    draw = ImageDraw.Draw(sheet)
    for i in range(count):
        grey, text = generator.sample(i)
        crop = (normalise_crop(grey) * 255).astype(np.uint8)[:, :width]
        col, row = divmod(i, count // 2)
        x, y = col * (width + 260), row * rows + 2
        sheet.paste(Image.fromarray(crop), (x, y))
        draw.text((x + width + 6, y + 10), repr(text), fill=0)
    path.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(path)
