"""Tests of the demo model's data steps and scoring rule.  Run: cd tools && python3 -m unittest -v test_demo_corpus

The split and windowing tests need only Python; the tokenizer tests need `tokenizers`, the scoring test `torch`
and `transformers` (each is skipped, saying so, where its library is missing).
"""
import importlib.util
import json
import os
import random
import tempfile
import unittest

import demo_corpus as dc

HAVE_TOKENIZERS = importlib.util.find_spec("tokenizers") is not None
HAVE_TORCH = HAVE_TOKENIZERS and all(importlib.util.find_spec(m) is not None for m in ("torch", "transformers"))
WORDS = ["whale", "ship", "sea", "Ahab", "captain", "the", "of", "and", "Congress", "nation", "people", "war",
         "peace", "harpoon", "law", "a", "to", "in", "union", "treasury", "Pequod", "white", "great", "our"]


def random_sentence(rng):
    words = [rng.choice(WORDS) for _ in range(rng.randint(3, 19))]
    return words[0].capitalize() + " " + " ".join(words[1:]) + rng.choice([".", "!", "?", ".\u201d"])


def random_text(rng, num_sentences):
    return " ".join(random_sentence(rng) for _ in range(num_sentences))


class SplitTest(unittest.TestCase):
    def test_tail_start_is_the_shortest_suffix_reaching_the_fraction(self):
        rng = random.Random(7)
        for _ in range(200):
            sizes = [rng.randint(1, 997) for _ in range(rng.choice([19, 111, 233]))]
            total = sum(sizes)
            k = dc.tail_start(sizes, 0.05, total)
            self.assertGreaterEqual(sum(sizes[k:]), 0.05 * total)
            self.assertLess(sum(sizes[k + 1:]), 0.05 * total)

    def test_tail_start_refuses_to_take_everything(self):
        with self.assertRaisesRegex(dc.CorpusError, r"cannot hold out 95% of 10 characters from 2 units"):
            dc.tail_start([9, 1], 0.95, 10)

    def test_split_partitions_each_source_in_order(self):
        rng = random.Random(11)
        paragraphs = [random_text(rng, rng.randint(1, 7)) for _ in range(1301)]
        addresses = [{"year": 1790 + i, "name": f"President {i}", "party": "none", "text": random_text(rng, rng.randint(5, 41))}
                     for i in range(131)]
        split = dc.split_corpus(paragraphs, addresses)
        moby = [d.text for d in (split.train[0], split.val[0], split.test[0])]
        self.assertEqual("\n\n".join(moby), "\n\n".join(paragraphs))
        moby_total = sum(map(len, paragraphs))
        test_paragraphs = moby[2].split("\n\n")
        self.assertGreaterEqual(sum(map(len, test_paragraphs)), dc.TEST_FRACTION * moby_total)
        self.assertLess(sum(map(len, test_paragraphs[1:])), dc.TEST_FRACTION * moby_total)
        self.assertGreaterEqual(sum(map(len, moby[1].split("\n\n"))), dc.VAL_FRACTION * moby_total)
        sotu = [d.text for part in (split.train, split.val, split.test) for d in part if d.source == "sotu"]
        self.assertEqual(sotu, [a["text"] for a in addresses])
        test_sotu = [d for d in split.test if d.source == "sotu"]
        self.assertEqual(test_sotu[-1].name, "1920 President 130")
        sotu_total = sum(len(a["text"]) for a in addresses)
        self.assertGreaterEqual(sum(len(d.text) for d in test_sotu), dc.TEST_FRACTION * sotu_total)
        self.assertLess(sum(len(d.text) for d in test_sotu[1:]), dc.TEST_FRACTION * sotu_total)


class WindowTest(unittest.TestCase):
    def test_windows_cover_the_ids_once_and_fit_the_context_with_bos(self):
        rng = random.Random(3)
        for length in (1, 19, 511, 512, 1111):
            ids = [rng.randint(3, 4095) for _ in range(length)]
            pieces = dc.windows(ids, 512)
            self.assertEqual([t for p in pieces for t in p], ids)
            self.assertTrue(all(1 <= len(p) <= 511 for p in pieces))
            self.assertEqual(len(pieces), -(-length // 511))

    def test_training_stream_ends_each_doc_with_eos(self):
        self.assertEqual(dc.training_stream([[5, 6], [7], [8, 9, 10]]), [5, 6, dc.EOS_ID, 7, dc.EOS_ID, 8, 9, 10, dc.EOS_ID])


class LoadCorpusTest(unittest.TestCase):
    def test_missing_files_are_named(self):
        with tempfile.TemporaryDirectory() as d:
            with self.assertRaisesRegex(dc.CorpusError, r"lacks moby-dick.txt, sotu.jsonl: run tools/fetch_corpus.sh first"):
                dc.load_corpus(d)

    def test_a_malformed_address_line_is_named(self):
        with tempfile.TemporaryDirectory() as d:
            with open(os.path.join(d, dc.MOBY_FILE), "w", encoding="utf-8") as f:
                f.write("Call me Ishmael.\n\nSome years ago.\n")
            with open(os.path.join(d, dc.SOTU_FILE), "w", encoding="utf-8") as f:
                f.write(json.dumps({"year": 1790, "name": "George Washington", "party": "none", "text": "Fellow-Citizens"}) + "\n")
                f.write(json.dumps({"year": 1791, "name": "George Washington"}) + "\n")
            with self.assertRaisesRegex(dc.CorpusError, r"sotu.jsonl line 2 is not an address record"):
                dc.load_corpus(d)


@unittest.skipUnless(HAVE_TOKENIZERS, "needs the tokenizers library")
class TokenizerTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        rng = random.Random(5)
        cls.texts = [random_text(rng, 60) for _ in range(41)]
        cls.tok = dc.train_tokenizer(cls.texts, 350)

    def test_special_ids_and_bos_prepended(self):
        ids = self.tok.encode("The whale and the sea.").ids
        self.assertEqual(ids[0], dc.BOS_ID)
        self.assertEqual(self.tok.decode(ids), "The whale and the sea.")
        self.assertNotIn(dc.BOS_ID, self.tok.encode("The whale.", add_special_tokens=False).ids)

    def test_training_twice_gives_the_same_tokenizer(self):
        self.assertEqual(dc.train_tokenizer(self.texts, 350).to_str(), self.tok.to_str())

    def test_a_vocabulary_the_text_cannot_fill_is_refused(self):
        with self.assertRaisesRegex(dc.CorpusError, r"tokenizer came out with special ids \[0, 1, 2\] and \d+ tokens, expected \[0, 1, 2\] and 100000"):
            dc.train_tokenizer(["tiny text"], 100000)

    def test_chunks_are_sentence_aligned_disjoint_and_fit(self):
        docs = [dc.Doc("sotu", f"doc {i}", t) for i, t in enumerate(self.texts[:13])]
        chunks = dc.pick_chunks(self.tok, docs, 17, 64)
        self.assertEqual(len(chunks), 17)
        previous = (-1, -1)
        for c in chunks:
            doc = next(d for d in docs if d.name == c["doc"])
            self.assertTrue(doc.text.startswith(c["text"], c["char_start"]))
            self.assertTrue(c["char_start"] == 0 or doc.text[c["char_start"] - 1] == " ")
            self.assertEqual(c["tokens"], self.tok.encode(c["text"]).ids)
            self.assertLessEqual(len(c["tokens"]), 64)
            # a sentence-end cut keeps at least half of the characters that fit, so well over a quarter of the ids
            self.assertGreater(len(c["tokens"]), 16)
            self.assertRegex(c["text"], r"[.!?]\u201d?$")
            here = (docs.index(doc), c["char_start"])
            self.assertGreaterEqual(here, previous)
            previous = (here[0], here[1] + len(c["text"]))

    def test_too_many_chunks_are_refused(self):
        docs = [dc.Doc("sotu", "doc", "One whale. Two whales.")]
        with self.assertRaisesRegex(dc.CorpusError, r"cannot place 5 chunks in 1 docs with 2 sentence starts"):
            dc.pick_chunks(self.tok, docs, 5, 64)


@unittest.skipUnless(HAVE_TORCH, "needs torch and transformers")
class ScoringTest(unittest.TestCase):
    def test_window_nll_matches_transformers_own_shifted_loss(self):
        import torch
        from transformers import LlamaConfig, LlamaForCausalLM

        import demo_eval

        config = LlamaConfig(vocab_size=97, hidden_size=48, intermediate_size=80, num_hidden_layers=2,
                             num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=64)
        torch.manual_seed(13)
        model = LlamaForCausalLM(config).eval()
        ids = [dc.BOS_ID] + torch.randint(3, 97, (37,)).tolist()
        nll = demo_eval.window_nll(model, ids, torch.device("cpu"))
        with torch.no_grad():
            expected = model(input_ids=torch.tensor([ids]), labels=torch.tensor([ids])).loss.item()
        self.assertEqual(len(nll), 37)
        # float32 logits on both sides; only the summation order differs, so 1e-5 relative is ample.
        self.assertAlmostEqual(sum(nll) / len(nll), expected, delta=1e-5 * expected)


if __name__ == "__main__":
    unittest.main()
