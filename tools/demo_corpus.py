"""Corpus, split, tokenizer and evaluation texts of the demo model. Needs `tokenizers`, not torch.

The corpus is what tools/fetch_corpus.sh writes: moby-dick.txt (paragraphs separated by a blank line) and
sotu.jsonl (one State of the Union address a line, chronological).

Split rule, per source, with no randomness. A source is an ordered list of units: Moby-Dick's paragraphs or the
addresses. The held-out (test) part is the shortest suffix of units holding at least 5% of the source's
characters; the validation part is the shortest suffix of the remaining units holding at least 2% of the
source's characters; the rest is the training part. So the held-out part is the end of the book (the chase and
the epilogue) and the most recent addresses, and validation (used only to pick the checkpoint) sits just before.
"""
import json
import os
import re
from dataclasses import dataclass

BOS_ID, EOS_ID, PAD_ID = 0, 1, 2
SPECIAL_TOKENS = ["<|bos|>", "<|eos|>", "<|pad|>"]  # ids 0, 1, 2 in this order
TEST_FRACTION = 0.05
VAL_FRACTION = 0.02
MOBY_FILE = "moby-dick.txt"
SOTU_FILE = "sotu.jsonl"

# A sentence ends at . ! or ? and any closing quotes or brackets (group 1); the whitespace after it ends the match.
SENTENCE_BREAK = re.compile(r"([.!?][\"”’')\]]*)\s+")


class CorpusError(Exception):
    """The corpus folder is missing, malformed, or too small for the split."""


@dataclass(frozen=True)
class Doc:
    source: str  # "moby-dick" or "sotu"
    name: str  # what a person reads in the model card, e.g. "2021 Joseph R. Biden"
    text: str


@dataclass(frozen=True)
class Split:
    train: list  # [Doc]
    val: list
    test: list


def load_corpus(corpus_dir):
    """Returns (paragraphs, addresses): Moby-Dick's paragraphs [str] and the addresses [{year, name, party, text}]."""
    missing = [f for f in (MOBY_FILE, SOTU_FILE) if not os.path.isfile(os.path.join(corpus_dir, f))]
    if missing:
        raise CorpusError(f"corpus folder {corpus_dir!r} lacks {', '.join(missing)}: run tools/fetch_corpus.sh first")
    with open(os.path.join(corpus_dir, MOBY_FILE), encoding="utf-8") as f:
        paragraphs = [p for p in f.read().split("\n\n") if p.strip()]
    addresses = []
    sotu_path = os.path.join(corpus_dir, SOTU_FILE)
    with open(sotu_path, encoding="utf-8") as f:
        for line_no, line in enumerate(f, 1):
            try:
                rec = json.loads(line)
                addresses.append({"year": int(rec["year"]), "name": str(rec["name"]), "party": str(rec["party"]), "text": str(rec["text"])})
            except (ValueError, KeyError, TypeError) as e:
                raise CorpusError(f"{sotu_path} line {line_no} is not an address record {{year, name, party, text}}: {e}") from e
    if len(paragraphs) < 1000 or len(addresses) < 100:
        raise CorpusError(f"corpus folder {corpus_dir!r} holds {len(paragraphs)} Moby-Dick paragraphs and {len(addresses)} "
                          "addresses; expected about 2,500 and 233: run tools/fetch_corpus.sh again")
    years = [a["year"] for a in addresses]
    if years != sorted(years):
        raise CorpusError(f"{sotu_path} is not in chronological order")
    return paragraphs, addresses


def tail_start(sizes, fraction, total):
    """Index k such that sizes[k:] is the shortest suffix whose sum is at least fraction * total."""
    target = fraction * total
    k, held = len(sizes), 0
    while k > 0 and held < target:
        k -= 1
        held += sizes[k]
    if held < target or k == 0:
        raise CorpusError(f"cannot hold out {fraction:.0%} of {total} characters from {len(sizes)} units and keep a training part")
    return k


def _three_way(sizes):
    total = sum(sizes)
    test_start = tail_start(sizes, TEST_FRACTION, total)
    val_start = tail_start(sizes[:test_start], VAL_FRACTION, total)
    return val_start, test_start


def split_corpus(paragraphs, addresses):
    """Applies the split rule of this module's docstring to both sources."""
    n = len(paragraphs)
    val_start, test_start = _three_way([len(p) for p in paragraphs])

    def moby(a, b):
        return Doc("moby-dick", f"Moby-Dick paragraphs {a + 1}-{b} of {n}", "\n\n".join(paragraphs[a:b]))

    def sotu(a, b):
        return [Doc("sotu", f"{r['year']} {r['name']}", r["text"]) for r in addresses[a:b]]

    s_val, s_test = _three_way([len(a["text"]) for a in addresses])
    return Split(train=[moby(0, val_start)] + sotu(0, s_val),
                 val=[moby(val_start, test_start)] + sotu(s_val, s_test),
                 test=[moby(test_start, n)] + sotu(s_test, len(addresses)))


def train_tokenizer(texts, vocab_size):
    """Byte-level BPE with <|bos|>=0, <|eos|>=1, <|pad|>=2; encode() prepends <|bos|> (the post-processor)."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=SPECIAL_TOKENS,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tok.train_from_iterator(texts, trainer)
    tok.post_processor = processors.TemplateProcessing(single="<|bos|> $A", special_tokens=[("<|bos|>", BOS_ID)])
    ids = [tok.token_to_id(t) for t in SPECIAL_TOKENS]
    if ids != [BOS_ID, EOS_ID, PAD_ID] or tok.get_vocab_size() != vocab_size:
        raise CorpusError(f"tokenizer came out with special ids {ids} and {tok.get_vocab_size()} tokens, expected "
                          f"[{BOS_ID}, {EOS_ID}, {PAD_ID}] and {vocab_size}")
    return tok


def encode_docs(tok, docs):
    """[[token id]] per doc, without special tokens."""
    return [e.ids for e in tok.encode_batch([d.text for d in docs], add_special_tokens=False)]


def training_stream(doc_ids):
    """All training docs back to back, each followed by <|eos|>: [token id]."""
    stream = []
    for ids in doc_ids:
        stream.extend(ids)
        stream.append(EOS_ID)
    return stream


def windows(ids, context_tokens):
    """Cuts a text's ids into consecutive pieces of at most context_tokens - 1 ids, so <|bos|> + piece fits."""
    step = context_tokens - 1
    return [ids[a:a + step] for a in range(0, len(ids), step)]


def _cut_chunk(tok, text, max_tokens):
    """Longest prefix of text, ending at a sentence end (or else a word end), whose encoding with <|bos|> has
    at most max_tokens ids."""
    enc = tok.encode(text, add_special_tokens=False)
    budget = max_tokens - 1
    if len(enc.ids) > budget:
        limit = enc.offsets[budget][0]  # character where the first id that does not fit begins
        sentence_ends = [m.end(1) for m in SENTENCE_BREAK.finditer(text, 0, limit + 1)]
        if sentence_ends and sentence_ends[-1] >= limit // 2:
            text = text[:sentence_ends[-1]]
        else:
            spaces = [m.start() for m in re.finditer(r"\s", text[:limit + 1])]
            text = text[:spaces[-1] if spaces else limit]
    text = text.rstrip()
    while len(tok.encode(text).ids) > max_tokens:
        text = text[:text.rfind(" ")].rstrip()
    return text


def pick_chunks(tok, docs, count, max_tokens):
    """count non-overlapping evaluation chunks of <= max_tokens ids (<|bos|> included) spread evenly over docs.

    Each chunk starts at a sentence start: the (2k+1)/(2 count) quantile of all sentence starts of the docs, or
    the first one after the previous chunk. Returns [{source, doc, char_start, text, tokens}], where tokens is
    tok.encode(text).ids, <|bos|> first.
    """
    starts = []
    for i, doc in enumerate(docs):
        positions = [0] + [m.end() for m in SENTENCE_BREAK.finditer(doc.text)]
        starts += [(i, p) for p in positions if p < len(doc.text) and (doc.text[p].isupper() or doc.text[p] in "\"“")]
    chunks, taken_until = [], (-1, -1)
    for k in range(count):
        j = (2 * k + 1) * len(starts) // (2 * count)
        while j < len(starts) and starts[j] < taken_until:
            j += 1
        if j == len(starts):
            raise CorpusError(f"cannot place {count} chunks in {len(docs)} docs with {len(starts)} sentence starts")
        i, p = starts[j]
        text = _cut_chunk(tok, docs[i].text[p:p + 16 * max_tokens], max_tokens)
        chunks.append({"source": docs[i].source, "doc": docs[i].name, "char_start": p, "text": text,
                       "tokens": tok.encode(text).ids})
        taken_until = (i, p + len(text))
    return chunks


def describe(split, doc_ids=None):
    """Lines with the docs, characters (and tokens) of each part and source, for logs and the model card."""
    lines = []
    for part in ("train", "val", "test"):
        docs = getattr(split, part)
        for source in ("moby-dick", "sotu"):
            idx = [i for i, d in enumerate(docs) if d.source == source]
            chars = sum(len(docs[i].text) for i in idx)
            tokens = f", {sum(len(doc_ids[part][i]) for i in idx):,} tokens" if doc_ids else ""
            names = docs[idx[0]].name if len(idx) == 1 else f"{docs[idx[0]].name} .. {docs[idx[-1]].name}"
            lines.append(f"{part:5s} {source:9s} {len(idx):3d} docs, {chars:>10,} chars{tokens}: {names}")
    return lines
