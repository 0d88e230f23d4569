"""Text for synthetic crops: book prose, frequent words, receipt lines, generated entities, symbols.

Each source is a function `rng -> str`; `Corpus.sample` mixes them by weight and applies a case
style (lower, Title, UPPER). Everything is seeded through the `random.Random` passed in, so a seed
gives one corpus.

Natural text almost never holds `{`, `^`, `\\` or `£`, so a net trained on it alone cannot read
them. The "symbol" source puts every charset symbol in a natural context ("(RM)", "A&W", "#12",
"a@b.com", "*NOTE*"); `Corpus.boosted` measures the character histogram of the other sources and
gives each symbol just enough of that source to lift it to `symbol_floor` (a share of all
characters), so common text keeps its natural proportions.
"""
from __future__ import annotations

import random
import re
import unicodedata
from bisect import bisect
from collections import Counter
from dataclasses import dataclass, field, replace
from itertools import accumulate
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


def title_case(text: str) -> str:
    """'don't stop (now)' -> "Don't Stop (Now)": unlike str.title, no capital after an apostrophe."""
    return re.sub(r"(?<![\w'])([a-z])([\w']*)", lambda m: m.group(1).upper() + m.group(2).lower(), text.lower())


def strip_accents(text: str) -> str:
    """'chêne' -> 'chene': drop combining marks (canonical decomposition only, so '½' is not '12')."""
    return "".join(ch for ch in unicodedata.normalize("NFD", text) if not unicodedata.combining(ch))


def case_style(word: str) -> str:
    """'lower', 'Title', 'UPPER' or 'other' (numbers, codes, mixed)."""
    letters = [ch for ch in word if ch.isalpha()]
    if len(letters) < 2:
        return "other"
    if all(ch.islower() for ch in letters):
        return "lower"
    if all(ch.isupper() for ch in letters):
        return "UPPER"
    if letters[0].isupper() and all(ch.islower() for ch in letters[1:]):
        return "Title"
    return "other"


def percent(rng: random.Random) -> str:
    return rng.choice([f"{rng.randint(0, 100)}%", f"{rng.uniform(0, 30):.1f}%", f"{rng.randint(1, 20)}.00%"])


# Natural contexts for each rare symbol. Placeholders: %w word, %W Title word, %U UPPER word,
# %n small number, %N 2-5 digit number, %p price, %d digit; %% is a literal percent sign.
SYMBOL_CONTEXTS: dict[str, tuple[str, ...]] = {
    "/": ("%n/%n/%N", "%w/%w", "w/o %w", "%n/%n", "km/h", "A/C %N", "%U/%U", "and/or", "1/2 %w", "%p/kg", "S/N %N"),
    "&": ("A&W", "%W & %W", "R&D", "P&L", "%U&%U", "%w & %w", "AT&T", "%W & Co", "B&B"),
    "#": ("#%N", "No.#%n", "Table #%n", "Order #%N", "#%w", "Unit #%n-%N", "Rm #%n"),
    "%": ("%n%%", "%n%% %U", "%n.%d%%", "GST %n%%", "-%n%%", "%n%% off", "SST %n%%"),
    "@": ("%w@%w.com", "%n @ %p", "@%w", "%n@%p", "%w.%w@%w.net", "@ %p", "info@%w.my"),
    "$": ("$%p", "US$%p", "$ %p", "%p$", "$%N", "-$%p", "S$%p"),
    "(": ("(%U)", "(%w)", "(%n)", "(%p)", "%W (%U)", "(RM)", "(%w %w)", "(%N-%U)", "(%n)%w"),
    ")": ("(%U)", "(%w)", "%n)", "%d) %W", "(%p)", "%w)", "(%W %w)"),
    ":": ("%W:", "%U:", "%n:%d%d", "Tel:", "Note:", "%U: %p", "Ref: %N", "%U:%N"),
    ";": ("%w;", "%w; %w", "%W;", "%n;%n", "%U; %U"),
    "'": ("'%w'", "don't", "it's", "O'%W", "'%d%d", "%W's", "can't", "%w's %w", "'%U'", "%n'%d\""),
    '"': ('"%w"', '"%W"', '%n"', '"%U"', '"%w %w"', '%n" %w', '%W "%w"'),
    "-": ("e-mail", "%w-%w", "-%p", "%N-%N", "%U-%N", "%W-%W", "%n-%n", "-- %w"),
    "+": ("+%N %N", "A+", "%n+%n", "C++", "%w+%w", "+%p", "%U+", "+%n%%"),
    "=": ("x=%n", "%U = %p", "=>", "%w=%n", "%n=%n", "= %p", "%U=%N"),
    "*": ("*%U*", "*NOTE*", "**", "%n*%n", "*%w", "%W*", "***", "* %U", "%n x *%p"),
    "!": ("%W!", "%U!", "%w!!", "%W %w!"),
    "?": ("%W?", "%w?", "%W %w?", "?%n"),
    ",": ("%w,", "%N,%N", "%W, %W", "%n,%d%d"),
    ".": ("%W.", "Mr.", "%n.%d%d", "No.%n", "%w.%w", "...", "Sdn. Bhd."),
    "<": ("<%w>", "<%n", "<<", "<-", "%n < %n", "<%U>"),
    ">": ("<%w>", ">%n", ">>", "->", "%n > %n", "%w > %w"),
    "[": ("[%n]", "[%w]", "[%U]", "[ ]", "[%W %w]", "[%N]"),
    "]": ("[%n]", "[%w]", "%n]", "[%U]", "[x]"),
    "{": ("{%w}", "{%n}", "{%U}", "{ %w }"),
    "}": ("{%w}", "{%n}", "%w}", "{%U}"),
    "|": ("%w | %w", "|%U|", "%n | %p", "||", "%W |", "| %N"),
    "~": ("~%n %w", "~/%w", "%w~", "~%p", "~%n%%"),
    "^": ("%n^%d", "x^%d", "^_^", "%w^", "^%U"),
    "_": ("%w_%w", "__%w__", "____", "%U_%n", "_%w", "%w_%N"),
    "`": ("`%w`", "`%U`", "``%w''", "`%n`"),
    "\\": ("C:\\%W", "%w\\%w", "\\%n", "\\\\%w", "%U\\%N"),
    "€": ("€%p", "%p €", "€ %p", "EUR %p €", "€%N"),
    "£": ("£%p", "£ %p", "%p £", "£%N"),
    "°": ("%n°C", "%n°", "%n°F", "%n° %d'", "%n.%d°C"),
}
SYMBOL_FLOOR = 0.0005      # no charset symbol under 0.05% of all characters after boosting
BOOST_SEED = 20240601      # the boost is measured on its own seed, so it is the same on every load
BOOST_SAMPLES = 8000
SOURCES = ("book", "words", "receipt", "entity", "symbol")


@dataclass(frozen=True)
class CharStats:
    """Character counts over `texts` samples of a corpus, with words per text and case styles."""

    texts: int
    counts: dict[str, int]
    words_per_text: dict[int, int] = field(default_factory=dict)
    cases: dict[str, int] = field(default_factory=dict)

    @property
    def chars(self) -> int:
        return sum(self.counts.values())

    def share(self, ch: str) -> float:
        return self.counts.get(ch, 0) / max(1, self.chars)

    def rarest(self, charset: str, k: int = 10) -> list[tuple[str, float]]:
        return sorted(((ch, self.share(ch)) for ch in charset), key=lambda t: (t[1], t[0]))[:k]

    def below(self, charset: str, floor: float) -> list[str]:
        return [ch for ch in charset if self.share(ch) < floor]


@dataclass
class Corpus:
    """Weighted text sources. `sample(rng)` returns 1 to ~4 words in some case style."""

    book_lines: list[str]
    words: list[str]
    word_weights: list[float]
    weights: dict[str, float] = field(default_factory=lambda: {
        "book": 0.2, "words": 0.2, "receipt": 0.3, "entity": 0.3})
    charset: str = DEFAULT_CHARSET
    symbol_floor: float = SYMBOL_FLOOR
    symbol_weights: dict[str, float] = field(default_factory=dict)   # target symbol -> share of the symbol source
    max_chars: int = 48

    def __post_init__(self) -> None:
        unknown = [s for s in self.weights if s not in SOURCES]
        if unknown:
            raise InputError(f"unknown corpus source {unknown[0]!r} (known: {', '.join(SOURCES)})")
        if self.weights.get("book", 0) > 0 and not self.book_lines:
            raise InputError("corpus source 'book' is empty: no lines of text were loaded")
        if not self.words:
            raise InputError("corpus source 'words' is empty: the word list holds no words")
        if self.weights.get("symbol", 0) > 0 and not self.symbol_weights:
            raise InputError("corpus source 'symbol' has weight but no target symbols (use Corpus.boosted)")
        self._sources = list(self.weights)
        self._cum_sources = list(accumulate(self.weights.values()))
        self._cum_words = list(accumulate(self.word_weights))
        self._symbols = list(self.symbol_weights)
        self._cum_symbols = list(accumulate(self.symbol_weights.values()))
        self._words_with: dict[str, list[str]] = {}
        self._allowed = frozenset(self.charset)

    @classmethod
    def load(cls, book_dir: Path | None = None, top_words: int = 40000, boost: bool = True,
             symbol_floor: float = SYMBOL_FLOOR) -> "Corpus":
        """The default corpus (books from `book_dir`, default SHARED_CORPUS); with `boost`, every
        charset symbol at `symbol_floor` or above."""
        book_dir = book_dir or SHARED_CORPUS
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
        if not book_lines:
            raise InputError(f"corpus source is missing or empty: no text lines in {book_dir}", str(book_dir))
        try:
            from wordfreq import top_n_list, word_frequency
        except ImportError as exc:
            raise InputError("corpus source 'words' is missing: the wordfreq package is not installed") from exc
        words = [w for w in top_n_list("en", top_words) if w.isascii()]
        weights = [word_frequency(w, "en") ** 0.4 for w in words]
        corpus = cls(book_lines=book_lines, words=words, word_weights=weights, symbol_floor=symbol_floor)
        return corpus.boosted() if boost else corpus

    # --- sources -----------------------------------------------------------------------------
    def _word(self, rng: random.Random) -> str:
        return self.words[bisect(self._cum_words, rng.random() * self._cum_words[-1])]

    def _book(self, rng: random.Random) -> str:
        tokens = rng.choice(self.book_lines).split()
        n = rng.randint(1, 4)
        start = rng.randint(0, max(0, len(tokens) - n))
        return " ".join(tokens[start:start + n])

    def _words(self, rng: random.Random) -> str:
        return " ".join(rng.choices(self.words, cum_weights=self._cum_words, k=rng.randint(1, 3)))

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

    def _symbol(self, rng: random.Random) -> str:
        target = self._symbols[bisect(self._cum_symbols, rng.random() * self._cum_symbols[-1])]
        return self.symbol_text(target, rng)

    def symbol_text(self, target: str, rng: random.Random) -> str:
        """A short natural snippet holding `target`: '(RM)' for '(', 'x^2' for '^', 'Quiz' for 'Q'."""
        contexts = SYMBOL_CONTEXTS.get(target)
        if contexts:
            return self._fill(rng.choice(contexts), rng)
        if target.isdigit():
            return rng.choice([f"{target}{rng.randint(0, 999)}", f"{rng.randint(1, 99)}{target}",
                               f"{target}.{rng.randint(0, 99):02d}", f"No.{target}{rng.randint(0, 99)}"])
        if target.isalpha():
            pool = self._words_containing(target.lower())
            word = rng.choice(pool) if pool else target
            if target.isupper():
                word = word.upper() if rng.random() < 0.5 else title_case(word)
                if target not in word:   # the letter is not first: only UPPER holds it
                    word = word.upper()
            return word
        return f"{self._word(rng)} {target}"

    def _words_containing(self, letter: str) -> list[str]:
        if letter not in self._words_with:
            self._words_with[letter] = [w for w in self.words[:20000] if letter in w and w.isalpha()]
        return self._words_with[letter]

    def _fill(self, template: str, rng: random.Random) -> str:
        def field_value(match: re.Match) -> str:
            kind = match.group(1)
            if kind == "%":
                return "%"
            if kind in "wWU":
                word = re.sub(r"[^A-Za-z0-9]", "", self._word(rng)) or "item"
                return word if kind == "w" else title_case(word) if kind == "W" else word.upper()
            if kind == "n":
                return str(rng.randint(1, 60))
            if kind == "N":
                return _digits(rng, rng.randint(2, 5)).lstrip("0") or "10"
            if kind == "p":
                return f"{rng.choice([rng.uniform(0, 20), rng.uniform(0, 500)]):.2f}"
            return rng.choice("0123456789")
        return re.sub(r"%([wWUnNpd%])", field_value, template)

    # --- mixing ------------------------------------------------------------------------------
    def sample(self, rng: random.Random) -> str:
        source = self._sources[bisect(self._cum_sources, rng.random() * self._cum_sources[-1])]
        text = getattr(self, f"_{source}")(rng)
        style = rng.random()
        if source in ("book", "words"):
            if style < 0.35:
                text = text.upper()
            elif style < 0.55:
                text = title_case(text)
        elif source == "receipt" and style < 0.2:
            text = title_case(text) if style < 0.1 else text.lower()
        text = " ".join(text.split())
        if not self._allowed.issuperset(text):
            text = normalise_text(strip_accents(text), self.charset)
        if len(text) > self.max_chars:   # cut at a word boundary: a label never ends in half a word
            cut = text.rfind(" ", 0, self.max_chars + 1)
            text = text[:cut] if cut > 0 else text[:self.max_chars]
        return text.strip() or "TOTAL"

    # --- boosting ----------------------------------------------------------------------------
    def measure(self, n: int = 20000, seed: int = 0) -> CharStats:
        """The character histogram of `n` samples."""
        rng = random.Random(seed)
        counts: Counter[str] = Counter()
        lengths: Counter[int] = Counter()
        cases: Counter[str] = Counter()
        for _ in range(n):
            text = self.sample(rng)
            counts.update(text)
            words = text.split()
            lengths[len(words)] += 1
            cases.update(case_style(w) for w in words)
        return CharStats(n, dict(counts), dict(sorted(lengths.items())), dict(cases.most_common()))

    def boosted(self, n: int = BOOST_SAMPLES, seed: int = BOOST_SEED, margin: float = 1.5) -> "Corpus":
        """A copy whose symbol source lifts every charset symbol to `symbol_floor` of all characters.

        The other sources keep their relative weights. Each symbol gets a share of the symbol
        source proportional to its measured deficit (aiming at `margin` times the floor, so the
        rarest symbols stay above it in any large sample), and the symbol source gets the total
        weight that covers the deficits.
        """
        base_weights = {k: v for k, v in self.weights.items() if k != "symbol"}
        base = replace(self, weights=base_weights, symbol_weights={})
        stats = base.measure(n, seed)
        per_text = {ch: stats.counts.get(ch, 0) / n for ch in self.charset}
        base_len = stats.chars / n
        rng = random.Random(seed + 1)
        hits, lengths = {}, {}
        for ch in self.charset:   # how many of `ch`, and how many characters, one snippet brings
            snippets = [base.sample_symbol(ch, rng) for _ in range(24)]
            hits[ch] = max(0.5, sum(s.count(ch) for s in snippets) / len(snippets))
            lengths[ch] = sum(len(s) for s in snippets) / len(snippets)
        target = self.symbol_floor * margin
        share, need = 0.02, {}
        for _ in range(50):   # fixed point: the snippets themselves add characters to the total
            mean_len = (sum(need[c] * lengths[c] for c in need) / sum(need.values())) if need else 10.0
            total_len = (1 - share) * base_len + share * mean_len
            need = {c: max(0.0, target * total_len - (1 - share) * per_text[c]) / hits[c] for c in self.charset}
            need = {c: v for c, v in need.items() if v > 0}
            share = min(0.5, sum(need.values()))
        if not need:
            return base
        weights = dict(base_weights)
        weights["symbol"] = sum(base_weights.values()) * share / (1 - share)
        total_need = sum(need.values())
        return replace(self, weights=weights,
                       symbol_weights={c: round(v / total_need, 6) for c, v in sorted(need.items())})

    def sample_symbol(self, target: str, rng: random.Random) -> str:
        """A symbol snippet through the same clean-up as `sample` (what the boost really adds)."""
        text = " ".join(self.symbol_text(target, rng).split())
        if not self._allowed.issuperset(text):
            text = normalise_text(text, self.charset)
        return text[: self.max_chars]

    def describe(self) -> dict:
        """Source weights and symbol boost, for manifests and `lector synth stats`."""
        return {"weights": dict(self.weights), "symbol_floor": self.symbol_floor,
                "symbol_weights": dict(self.symbol_weights)}
