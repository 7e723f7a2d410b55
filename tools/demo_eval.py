"""The demo model's held-out numbers, computed with Hugging Face transformers, and eval.json, which lets the Java
engine reproduce them.

Definition (the same for every number here):
- A text is encoded without special tokens into ids t_1..t_n and cut into consecutive pieces of at most
  C - 1 ids, C = max_position_embeddings (demo_corpus.windows). Each window is <|bos|> + piece, at most C ids,
  fed alone (batch of one, positions 0.., no padding, no cache; context does not carry across windows).
- Token t of a window at position i >= 1 costs nll = -log softmax(logits at position i - 1)[t] (the standard
  shift by one); <|bos|> itself is never predicted and no <|eos|> is appended.
- A text's mean NLL is the sum of its tokens' nll over its n tokens; its perplexity is exp(mean NLL). An
  overall mean NLL is token-weighted: the sum over all texts' tokens divided by their count. num_tokens
  always counts predicted tokens (a chunk's is len(tokens) - 1, <|bos|> not counted).
- Logits come from AutoModelForCausalLM loaded from the saved folder (bfloat16 weights) with dtype=float32,
  computed in float32 with TF32 off; sums are accumulated in float64.
An eval.json chunk is a short text whose encoding with <|bos|> (its "tokens") is one window.
"""
import math

import torch

SAMPLE_PROMPTS = ["Call me Ishmael.", "Fellow-Citizens of the Senate and House of Representatives:"]


def window_nll(model, window_ids, device):
    """[nll of window_ids[1:]] as float64 values, for one window (<|bos|> first)."""
    x = torch.tensor([window_ids], dtype=torch.long, device=device)
    with torch.no_grad():
        logits = model(input_ids=x, use_cache=False).logits[0].float()
    logprobs = torch.log_softmax(logits[:-1], dim=-1)
    return (-logprobs.gather(1, x[0, 1:, None])[:, 0]).double().tolist()


def _stats(nll_sum, num_tokens):
    mean = nll_sum / num_tokens
    return {"num_tokens": num_tokens, "mean_nll": mean, "perplexity": math.exp(mean)}


def _overall(rows):
    """Token-weighted numbers over rows that each carry num_tokens and mean_nll, overall and per source."""
    def pool(selected):
        return _stats(sum(r["mean_nll"] * r["num_tokens"] for r in selected), sum(r["num_tokens"] for r in selected))
    out = pool(rows)
    out["sources"] = {s: pool([r for r in rows if r["source"] == s]) for s in sorted({r["source"] for r in rows})}
    return out


def score_texts(model, docs, doc_ids, context_tokens, bos_id, device):
    """Per-text and overall numbers for whole texts (each split into windows), texts included."""
    from demo_corpus import windows

    rows = []
    for doc, ids in zip(docs, doc_ids):
        pieces = windows(ids, context_tokens)
        nll_sum = sum(sum(window_nll(model, [bos_id] + piece, device)) for piece in pieces)
        rows.append({"source": doc.source, "name": doc.name, "num_windows": len(pieces),
                     **_stats(nll_sum, len(ids)), "text": doc.text})
    return {"overall": _overall(rows), "texts": rows}


def score_chunks(model, chunks, device):
    """Adds num_tokens (predicted ones), token_nll, mean_nll and perplexity to each chunk; returns the overall
    token-weighted numbers."""
    for chunk in chunks:
        nll = window_nll(model, chunk["tokens"], device)
        chunk.update(_stats(sum(nll), len(nll)))
        chunk["token_nll"] = [round(v, 7) for v in nll]
    overall = _overall(chunks)
    overall["num_chunks"] = len(chunks)
    return overall


def greedy_references(model, tok, num_new_tokens, device):
    """Greedy continuations of SAMPLE_PROMPTS: num_new_tokens times, the argmax over the whole vocabulary
    (<|eos|> included, never a stop) of a full forward pass over prompt + tokens so far (no cache)."""
    refs = []
    for prompt in SAMPLE_PROMPTS:
        ids = tok.encode(prompt).ids
        x = torch.tensor([ids], dtype=torch.long, device=device)
        with torch.no_grad():
            for _ in range(num_new_tokens):
                next_id = model(input_ids=x, use_cache=False).logits[0, -1].float().argmax()
                x = torch.cat([x, next_id.view(1, 1)], dim=1)
        out = x[0, len(ids):].tolist()
        refs.append({"prompt": prompt, "input_ids": ids, "greedy_ids": out, "greedy_text": tok.decode(out)})
    return refs


def sampled_continuation(model, tok, prompt, num_new_tokens, seed, device):
    """One sampled continuation (temperature 0.8, top-k 50, top-p 0.95, stops at <|eos|>), seeded."""
    ids = tok.encode(prompt).ids
    torch.manual_seed(seed)
    with torch.no_grad():
        out = model.generate(torch.tensor([ids], device=device), max_new_tokens=num_new_tokens, do_sample=True,
                             temperature=0.8, top_k=50, top_p=0.95, pad_token_id=tok.token_to_id("<|pad|>"))[0, len(ids):].tolist()
    return tok.decode(out)


DEFINITION = " ".join(line.strip(" -") for line in __doc__.split("Definition (the same for every number here):")[1].splitlines() if line.strip())
