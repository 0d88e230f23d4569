"""`lector lexicon build`: the repair lexicon from open word-frequency data and training truth.

Sources (all offline; wordfreq ships its data in the wheel):
- wordfreq English, top N words (CC-BY-SA 4.0 data);
- wordfreq Malay, top M words (documents from Malaysia are a large share of receipts);
- the receipt vocabulary of the synthetic corpus;
- words from the truth of the fine-tune halves of the evaldata sets that occur in at least
  two documents there (shop and product words; never the validation halves).
"""
from __future__ import annotations

import gzip
import re
from collections import Counter
from pathlib import Path

from lector.eval.dataset import load_dataset, split_of
from lector.postprocess.lexicon import split_edges
from lector.synth.corpus import RECEIPT_WORDS


def _word(token: str) -> str:
    return split_edges(token)[1].casefold()


def build_lexicon(out: Path, datasets: list[Path], english: int = 80000, malay: int = 15000) -> dict:
    from wordfreq import top_n_list, zipf_frequency
    zipf: dict[str, float] = {}
    for lang, n in (("en", english), ("ms", malay)):
        for word in top_n_list(lang, n):
            if re.fullmatch(r"[a-z][a-z'\-]*", word):
                zipf[word] = max(zipf.get(word, 0.0), zipf_frequency(word, lang))
    for word in RECEIPT_WORDS:
        if word.isalpha():
            zipf.setdefault(word.casefold(), 3.0)
    documents_with: Counter[str] = Counter()
    for dataset in datasets:
        for doc in load_dataset(dataset):
            if split_of(doc.id) != "train":
                continue
            words = {_word(t) for line in doc.lines for t in line.text.split()}
            documents_with.update(w for w in words if w.isalpha() and len(w) > 1)
    from_truth = [w for w, n in documents_with.items() if n >= 2 and w not in zipf]
    for word in from_truth:
        zipf[word] = 2.0
    out.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(out, "wt", encoding="utf-8") as f:
        f.write(f"# lector lexicon: wordfreq en {english} + ms {malay} (CC-BY-SA 4.0), receipt words, "
                f"{len(from_truth)} words from the fine-tune halves of {', '.join(p.name for p in datasets)}\n")
        for word in sorted(zipf):
            f.write(f"{word}\t{zipf[word]:.2f}\n")
    return {"words": len(zipf), "from_training_truth": len(from_truth), "bytes": out.stat().st_size}
