"""Text for synthetic crops: book prose, frequent words, receipt lines and generated entities.

Each source is a function `rng -> str`; `Corpus.sample` mixes them by weight and applies a case
style. Everything is seeded through the `random.Random` passed in, so a seed gives one corpus.
"""
from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from pathlib import Path

from lector.core.errors import InputError
from lector.recognize.charset import DEFAULT_CHARSET, normalise_text

SHARED_CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "kit" / "corpus" / "gutenberg"

# Words seen on receipts and invoices everywhere; the item generator draws from these.
RECEIPT_WORDS = (
    "TOTAL SUBTOTAL SUB-TOTAL TAX GST VAT CASH CHANGE QTY AMOUNT PRICE ITEM ITEMS DISC DISCOUNT "
    "ROUNDING ADJ RECEIPT INVOICE TAX-INVOICE NO DATE TIME TEL FAX CASHIER MEMBER CARD VISA "
    "MASTERCARD DEBIT CREDIT BALANCE DUE PAID TENDER THANK YOU PLEASE COME AGAIN GOODS SOLD ARE "
    "NOT RETURNABLE EXCHANGEABLE SDN BHD ENTERPRISE TRADING STORE MART SHOP RESTAURANT CAFE "
    "JALAN TAMAN STREET ROAD AVENUE LOT UNIT FLOOR BLOCK MILK BREAD SUGAR RICE EGG EGGS CHICKEN "
    "TEA COFFEE WATER MINERAL TISSUE PAPER SOAP OIL FLOUR NOODLE NOODLES BEEF FISH PORK APPLE "
    "ORANGE BANANA JUICE SODA COLA BEER WINE SNACK CHIPS SALT PEPPER SAUCE PEN PENCIL BOOK FILE "
    "A4 BATTERY CABLE BOX BAG PACK PCS PC KG G ML L OZ LB EA SET DOZ UNIT ROLL BTL CAN "
    "SERVICE CHARGE TIPS TABLE PAX ORDER DINE IN TAKE AWAY BILL REF APPROVAL CODE AUTH TERMINAL "
    "MERCHANT ID BATCH TRACE INCL EXCL NET GROSS SR ZR S Z RM USD EUR GBP SGD $ MYR"
).split()
UNITS = ("PCS", "PC", "KG", "G", "ML", "L", "EA", "X", "@", "BTL", "PKT", "OZ", "LB", "QT")
MONTHS = ("JAN FEB MAR APR MAY JUN JUL AUG SEP OCT NOV DEC").split()
MONTH_NAMES = ("January February March April May June July August September October November "
               "December").split()
TLDS = ("com", "org", "net", "my", "co.uk", "de", "io", "com.my", "sg")


def _digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789") for _ in range(n))


def price(rng: random.Random) -> str:
    value = rng.choice([rng.uniform(0, 20), rng.uniform(0, 200), rng.uniform(0, 5000)])
    text = f"{value:,.2f}" if value >= 1000 and rng.random() < 0.5 else f"{value:.2f}"
    style = rng.random()
    if style < 0.25:
        return rng.choice(["RM", "$", "€", "£", "RM ", "$ ", "USD "]) + text
    if style < 0.3:
        return "-" + text
    if style < 0.35:
        return text.replace(".", ",")
    return text


def date(rng: random.Random) -> str:
    d, m, y = rng.randint(1, 31), rng.randint(1, 12), rng.randint(1990, 2030)
    sep = rng.choice("/-.")
    return rng.choice([
        f"{d:02d}{sep}{m:02d}{sep}{y}", f"{m:02d}{sep}{d:02d}{sep}{y % 100:02d}", f"{y}-{m:02d}-{d:02d}",
        f"{d:02d} {MONTHS[m - 1]} {y}", f"{d}-{MONTHS[m - 1].title()}-{y % 100:02d}",
        f"{MONTH_NAMES[m - 1]} {d}, {y}", f"{d:02d}/{m:02d}/{y % 100:02d}",
    ])


def time_of_day(rng: random.Random) -> str:
    h, m, s = rng.randint(0, 23), rng.randint(0, 59), rng.randint(0, 59)
    return rng.choice([f"{h:02d}:{m:02d}", f"{h:02d}:{m:02d}:{s:02d}",
                       f"{(h % 12) or 12}:{m:02d} {'AM' if h < 12 else 'PM'}", f"{h:02d}{m:02d}H"])


def code(rng: random.Random) -> str:
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    return rng.choice([
        _digits(rng, rng.randint(4, 13)),
        "".join(rng.choice(letters) for _ in range(rng.randint(1, 3))) + _digits(rng, rng.randint(3, 8)),
        f"{_digits(rng, rng.randint(5, 7))}-{rng.choice(letters)}",
        f"#{_digits(rng, rng.randint(2, 6))}", f"No.{_digits(rng, rng.randint(1, 4))}",
        f"INV-{_digits(rng, 6)}", f"{_digits(rng, 3)}-{_digits(rng, 4)}-{_digits(rng, 3)}",
        f"({_digits(rng, 6)}-{rng.choice(letters)})", f"SKU:{_digits(rng, 8)}",
    ])


def phone(rng: random.Random) -> str:
    return rng.choice([f"+{rng.randint(1, 99)} {_digits(rng, 3)} {_digits(rng, 4)}",
                       f"0{_digits(rng, 2)}-{_digits(rng, 7)}", f"({_digits(rng, 3)}) {_digits(rng, 3)}-{_digits(rng, 4)}",
                       f"TEL: {_digits(rng, 3)}-{_digits(rng, 8)}", f"{_digits(rng, 3)}.{_digits(rng, 3)}.{_digits(rng, 4)}"])


def web(rng: random.Random, words: list[str]) -> str:
    a, b = rng.choice(words).lower(), rng.choice(words).lower()
    a = re.sub(r"[^a-z0-9]", "", a) or "shop"
    b = re.sub(r"[^a-z0-9]", "", b) or "mail"
    return rng.choice([f"www.{a}{b}.{rng.choice(TLDS)}", f"{a}@{b}.{rng.choice(TLDS)}",
                       f"https://{a}.{rng.choice(TLDS)}/{b}", f"{a}.{b}@{a}.com"])


def percent(rng: random.Random) -> str:
    return rng.choice([f"{rng.randint(0, 100)}%", f"{rng.uniform(0, 30):.1f}%", f"{rng.randint(1, 20)}.00%"])


@dataclass
class Corpus:
    """Weighted text sources. `sample(rng)` returns 1 to ~4 words in some case style."""

    book_lines: list[str]
    words: list[str]
    word_weights: list[float]
    weights: dict[str, float] = field(default_factory=lambda: {
        "book": 0.2, "words": 0.2, "receipt": 0.3, "entity": 0.3})
    charset: str = DEFAULT_CHARSET

    @classmethod
    def load(cls, book_dir: Path = SHARED_CORPUS, top_words: int = 40000) -> "Corpus":
        files = sorted(book_dir.glob("*.txt")) if book_dir.is_dir() else []
        if not files:
            raise InputError(f"corpus source is missing or empty: {book_dir}", str(book_dir))
        book_lines = []
        for path in files:
            text = path.read_text(encoding="utf-8", errors="replace")
            if "*** START OF" in text:
                text = text.split("*** START OF", 1)[1].split("\n", 1)[-1]
            text = text.split("*** END OF", 1)[0]
            book_lines += [ln.strip() for ln in text.splitlines() if len(ln.strip()) > 3]
        from wordfreq import top_n_list, word_frequency
        words = [w for w in top_n_list("en", top_words) if w.isascii()]
        weights = [word_frequency(w, "en") ** 0.4 for w in words]
        return cls(book_lines=book_lines, words=words, word_weights=weights)

    def _book(self, rng: random.Random) -> str:
        tokens = rng.choice(self.book_lines).split()
        n = rng.randint(1, 4)
        start = rng.randint(0, max(0, len(tokens) - n))
        return " ".join(tokens[start:start + n])

    def _words(self, rng: random.Random) -> str:
        return " ".join(rng.choices(self.words, self.word_weights, k=rng.randint(1, 3)))

    def _receipt(self, rng: random.Random) -> str:
        r = rng.random()
        if r < 0.35:
            return " ".join(rng.choice(RECEIPT_WORDS) for _ in range(rng.randint(1, 3)))
        if r < 0.55:
            return f"{rng.randint(1, 24)}{rng.choice(UNITS)} {rng.choice(RECEIPT_WORDS)} {rng.choice(self.words).upper()}"
        if r < 0.7:
            return f"{rng.randint(1, 12)} {rng.choice(['@', 'X', 'x'])} {price(rng)}"
        if r < 0.85:
            return f"{rng.choice(RECEIPT_WORDS)}{rng.choice([':', ' :', ''])} {price(rng)}"
        return f"{code(rng)} {rng.choice(self.words).upper()}"

    def _entity(self, rng: random.Random) -> str:
        kind = rng.choice(["price", "price", "date", "time", "code", "phone", "web", "percent", "mixed"])
        if kind == "price":
            return price(rng)
        if kind == "date":
            return date(rng)
        if kind == "time":
            return time_of_day(rng)
        if kind == "code":
            return code(rng)
        if kind == "phone":
            return phone(rng)
        if kind == "web":
            return web(rng, self.words)
        if kind == "percent":
            return percent(rng)
        return f"{date(rng)} {time_of_day(rng)}"

    def sample(self, rng: random.Random) -> str:
        source = rng.choices(list(self.weights), list(self.weights.values()))[0]
        text = getattr(self, f"_{source}")(rng)
        style = rng.random()
        if source in ("book", "words"):
            if style < 0.35:
                text = text.upper()
            elif style < 0.55:
                text = text.title()
        elif source == "receipt" and style < 0.2:
            text = text.title() if style < 0.1 else text.lower()
        if rng.random() < 0.08:   # a rare symbol next to a word, as on real documents
            sym = rng.choice("/&#%@$():;'\"-+=*!?,.<>[]{}|~^_`\\")
            text = rng.choice([sym + text, text + sym, text.replace(" ", f" {sym} ", 1)])
        text = normalise_text(" ".join(text.split()), self.charset)
        return text[:48].strip() or "TOTAL"
