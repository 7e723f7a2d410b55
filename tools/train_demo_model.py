#!/usr/bin/env python3
"""Trains Flood's demo model, an 8.1M-parameter LlamaForCausalLM that writes English, on one GPU in minutes.

  python3 tools/train_demo_model.py --corpus tools/corpus --out OUT_DIR [--seconds 300] [--seed 0]

Corpus: tools/fetch_corpus.sh. Split, tokenizer, evaluation chunks: demo_corpus.py. Held-out numbers and their
exact definition: demo_eval.py. Model card: demo_card.py. Writes OUT_DIR/{config.json, model.safetensors,
generation_config.json, tokenizer.json, tokenizer_config.json, README.md, eval.json}.

Training: random windows of <|bos|> + 511 consecutive tokens of the training stream (each epoch a fresh random
offset and order, from --seed), AdamW, warmup then cosine decay to a tenth, bfloat16 autocast, residual dropout
(training only; the saved model is a plain Llama). The run lasts --epochs (or exactly --steps) unless a timing
probe shows that it would not fit in --seconds, in which case the step count is cut to fit; the checkpoint kept
is the one with the lowest validation loss. --prepare-only stops after the data steps and needs no torch.
"""
import argparse
import json
import math
import os
import sys
import time

import demo_corpus as dc

CONTEXT_TOKENS = 512  # max_position_embeddings; training and evaluation windows are <|bos|> + 511 ids
CHUNK_TOKENS = 256  # eval.json chunks, <|bos|> included
CHUNKS_PER_SOURCE = 20
GREEDY_TOKENS = 48
TRAIN_SAMPLE_WINDOWS = 40
# The GPU machine hands back files of at most 16 MiB, so model.safetensors must stay under that.
MAX_SAFETENSORS_BYTES = 16 * 1024 * 1024
SAFETENSORS_HEADER_BYTES = 64 * 1024  # generous bound on the JSON header in front of the tensors
# head_dim 64; 4 query heads share 2 key/value heads; 8,131,328 parameters with vocab 4096 (16.26 MB in bfloat16).
MODEL_SHAPE = dict(hidden_size=256, intermediate_size=768, num_hidden_layers=9, num_attention_heads=4,
                   num_key_value_heads=2)
T0 = time.perf_counter()


def log(msg):
    print(f"[{time.perf_counter() - T0:7.1f}s] {msg}", flush=True)


def die(msg):
    print(f"train_demo_model: error: {msg}", file=sys.stderr, flush=True)
    sys.exit(2)


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--corpus", required=True, help="folder written by tools/fetch_corpus.sh")
    p.add_argument("--out", help="output folder (must be empty or absent unless --overwrite)")
    p.add_argument("--seconds", type=float, default=300.0, help="wall-clock budget of the training loop, validation included")
    p.add_argument("--seed", type=int, default=0, help="seeds initialization and data order")
    p.add_argument("--epochs", type=float, default=16.0, help="passes over the training stream (default 16)")
    p.add_argument("--steps", type=int, help="exact optimizer steps, instead of --epochs")
    p.add_argument("--batch-size", type=int, default=32, help="windows of 512 tokens per step")
    p.add_argument("--lr", type=float, default=1e-3, help="peak learning rate")
    p.add_argument("--weight-decay", type=float, default=0.1)
    p.add_argument("--dropout", type=float, default=0.1, help="residual dropout after attention and MLP, training only")
    p.add_argument("--vocab-size", type=int, default=4096)
    p.add_argument("--overwrite", action="store_true", help="allow a non-empty --out")
    p.add_argument("--prepare-only", action="store_true", help="stop after corpus, split, tokenizer and chunks")
    p.add_argument("--device", choices=("cuda", "cpu"), default="cuda", help="cpu only for smoke tests with few --steps")
    args = p.parse_args(argv)
    if args.out is None and not args.prepare_only:
        p.error("--out is required (unless --prepare-only)")
    for name in ("seconds", "epochs", "batch_size", "lr", "vocab_size"):
        if getattr(args, name) <= 0:
            p.error(f"--{name.replace('_', '-')} must be positive, got {getattr(args, name)}")
    if args.steps is not None and args.steps <= 0:
        p.error(f"--steps must be positive, got {args.steps}")
    if not 0 <= args.dropout < 1:
        p.error(f"--dropout must be in [0, 1), got {args.dropout}")
    if args.vocab_size < 512:
        p.error(f"--vocab-size must be at least 512 (256 bytes + specials + merges), got {args.vocab_size}")
    return args


def check_out_dir(out, overwrite):
    if os.path.exists(out) and not os.path.isdir(out):
        die(f"--out {out!r} exists and is not a folder")
    if os.path.isdir(out) and os.listdir(out) and not overwrite:
        die(f"--out {out!r} is not empty ({len(os.listdir(out))} entries); pass --overwrite or pick another folder")
    try:
        os.makedirs(out, exist_ok=True)
        probe = os.path.join(out, ".write-probe")
        open(probe, "w").close()
        os.remove(probe)
    except OSError as e:
        die(f"cannot write to --out {out!r}: {e}")


def check_environment(device):
    """Imports torch and transformers and checks for a bfloat16-capable device; returns (torch, device name)."""
    try:
        import torch
        import transformers
    except ImportError as e:
        die(f"{e}: training needs torch and transformers (use --prepare-only to check the data steps without them)")
    if device == "cuda" and not torch.cuda.is_available():
        die("torch sees no CUDA device; this script trains on one GPU (--device cpu is for smoke tests)")
    if device == "cuda" and not torch.cuda.is_bf16_supported():
        die(f"{torch.cuda.get_device_name(0)} does not support bfloat16")
    torch.set_float32_matmul_precision("highest")  # no TF32 anywhere: the float32 evaluation must be plain float32
    transformers.utils.logging.disable_progress_bar()
    name = torch.cuda.get_device_name(0) if device == "cuda" else "CPU"
    log(f"torch {torch.__version__}, transformers {transformers.__version__}, device {name}")
    return torch, name


def load_corpus(corpus_dir):
    if not os.path.isdir(corpus_dir):
        die(f"--corpus {corpus_dir!r} is not a folder: run tools/fetch_corpus.sh first")
    try:
        return dc.load_corpus(corpus_dir)
    except dc.CorpusError as e:
        die(str(e))


def prepare(args, paragraphs, addresses):
    """Split, tokenizer, token ids and evaluation chunks; no torch."""
    split = dc.split_corpus(paragraphs, addresses)
    log(f"corpus: {len(paragraphs)} Moby-Dick paragraphs, {len(addresses)} addresses; training tokenizer "
        f"(byte-level BPE, {args.vocab_size} tokens) on the training part")
    tok = dc.train_tokenizer([d.text for d in split.train], args.vocab_size)
    ids = {part: dc.encode_docs(tok, getattr(split, part)) for part in ("train", "val", "test")}
    for line in dc.describe(split, ids):
        log(line)
    chunks = []
    for source in ("moby-dick", "sotu"):
        chunks += dc.pick_chunks(tok, [d for d in split.test if d.source == source], CHUNKS_PER_SOURCE, CHUNK_TOKENS)
    stream = dc.training_stream(ids["train"])
    log(f"training stream {len(stream):,} tokens; {len(chunks)} evaluation chunks of "
        f"{min(len(c['tokens']) for c in chunks)}-{max(len(c['tokens']) for c in chunks)} tokens")
    return {"split": split, "tok": tok, "ids": ids, "chunks": chunks, "stream": stream}


def expected_params(vocab_size):
    """Parameter count of MODEL_SHAPE with tied embeddings: embeddings, per layer q/k/v/o, gate/up/down and two
    norms, final norm."""
    hidden, inter, heads, kv_heads = (MODEL_SHAPE[k] for k in ("hidden_size", "intermediate_size",
                                                                "num_attention_heads", "num_key_value_heads"))
    head_dim = hidden // heads
    per_layer = 2 * hidden * heads * head_dim + 2 * hidden * kv_heads * head_dim + 3 * hidden * inter + 2 * hidden
    return vocab_size * hidden + MODEL_SHAPE["num_hidden_layers"] * per_layer + hidden


def build_model(torch, vocab_size, seed):
    from transformers import AutoModelForCausalLM, LlamaConfig

    config = LlamaConfig(vocab_size=vocab_size, **MODEL_SHAPE, hidden_act="silu",
                         max_position_embeddings=CONTEXT_TOKENS, rms_norm_eps=1e-5,
                         rope_parameters={"rope_type": "default", "rope_theta": 10000.0},
                         bos_token_id=dc.BOS_ID, eos_token_id=dc.EOS_ID, pad_token_id=dc.PAD_ID,
                         tie_word_embeddings=True)
    torch.manual_seed(seed)
    return AutoModelForCausalLM.from_config(config, dtype=torch.float32)


def add_residual_dropout(torch, model, p):
    """Dropout on each attention and MLP output before it joins the residual stream, only in training mode.
    Returns the hook handles (removed before saving)."""
    def drop(module, inputs, output):
        if not module.training or p == 0:
            return output
        if isinstance(output, tuple):  # attention returns (attn_output, attn_weights)
            return (torch.nn.functional.dropout(output[0], p, True),) + tuple(output[1:])
        return torch.nn.functional.dropout(output, p, True)
    return [m.register_forward_hook(drop) for layer in model.model.layers for m in (layer.self_attn, layer.mlp)]


def val_batches(torch, doc_ids, device, rows_per_batch=64):
    """Validation windows (demo_eval's definition) right-padded into [(inputs [R, T], targets [R, T])], targets
    -100 where nothing is predicted. Causal attention keeps padding from reaching real positions."""
    wins = [[dc.BOS_ID] + piece for ids in doc_ids for piece in dc.windows(ids, CONTEXT_TOKENS)]
    out = []
    for a in range(0, len(wins), rows_per_batch):
        group = wins[a:a + rows_per_batch]
        width = max(len(w) for w in group)
        x = torch.full((len(group), width), dc.PAD_ID, dtype=torch.long)
        y = torch.full((len(group), width), -100, dtype=torch.long)
        for r, w in enumerate(group):
            x[r, :len(w)] = torch.tensor(w)
            y[r, :len(w) - 1] = torch.tensor(w[1:])
        out.append((x.to(device), y.to(device)))
    return out


def train(torch, model, data, args, device):
    import numpy as np

    F = torch.nn.functional
    vocab = model.config.vocab_size

    def sync():
        if device.type == "cuda":
            torch.cuda.synchronize()

    stream = torch.tensor(data["stream"], dtype=torch.long, device=device)
    batch, ctx = args.batch_size, CONTEXT_TOKENS
    windows_per_epoch = (stream.numel() - ctx + 1) // ctx  # starts offset + ctx*k, offset < ctx, all fit
    steps_per_epoch = windows_per_epoch // batch
    if steps_per_epoch < 1:
        die(f"training stream of {stream.numel()} tokens holds fewer than one batch of {batch} windows")
    total_steps = args.steps or max(1, round(args.epochs * steps_per_epoch))
    # Both depend on the data and batch size only, so a rerun with --steps N repeats a run that was cut to N.
    warmup = min(200, steps_per_epoch)
    eval_every = max(25, steps_per_epoch // 4)
    val = val_batches(torch, data["ids"]["val"], device)

    decay = [p for _, p in model.named_parameters() if p.dim() >= 2]
    no_decay = [p for _, p in model.named_parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": args.weight_decay},
                             {"params": no_decay, "weight_decay": 0.0}], lr=args.lr, betas=(0.9, 0.95), fused=True)
    hooks = add_residual_dropout(torch, model, args.dropout)
    rng = np.random.default_rng(args.seed)

    def batches():
        """Per epoch: a random offset in [0, ctx) and a random order of the windows that start there; yields
        [batch] window starts on the device. The last windows_per_epoch % batch windows of an epoch go unused."""
        while True:
            starts = int(rng.integers(0, ctx)) + ctx * rng.permutation(windows_per_epoch)
            starts = torch.from_numpy(starts).to(device)
            for i in range(steps_per_epoch):
                yield starts[i * batch:(i + 1) * batch]

    def lr_at(step):
        if step < warmup:
            return args.lr * (step + 1) / warmup
        progress = min(1.0, (step - warmup) / max(1, schedule_steps - warmup))
        return args.lr * (0.1 + 0.45 * (1 + math.cos(math.pi * progress)))

    eval_seconds = [0.0]  # total time spent in validate()

    def validate():
        t = time.perf_counter()
        model.eval()
        nll, count = torch.zeros((), dtype=torch.float64, device=device), 0
        with torch.no_grad(), torch.autocast(device.type, dtype=torch.bfloat16):
            for x, y in val:
                logits = model(input_ids=x, use_cache=False).logits
                nll += F.cross_entropy(logits.float().view(-1, vocab), y.view(-1), ignore_index=-100, reduction="sum")
                count += int((y != -100).sum())
        model.train()
        result = nll.item() / count  # .item() waits for the GPU, so the time below is real
        eval_seconds[0] += time.perf_counter() - t
        return result

    def record(step, v):
        nonlocal best
        history.append({"step": step, "epoch": step / steps_per_epoch,
                        "train_loss": losses[max(0, step - eval_every):step].mean().item(), "val_nll": v})
        if v < best["val"]:
            best = {"val": v, "step": step, "state": {k: t.detach().clone() for k, t in model.state_dict().items()}}

    log(f"training: {windows_per_epoch} windows/epoch, {steps_per_epoch} steps/epoch of {batch}x{ctx} tokens, "
        f"{total_steps} steps planned, warmup {warmup}, validation every {eval_every} steps, budget {args.seconds:.0f}s")
    model.train()
    arange, bos = torch.arange(ctx, device=device), torch.full((batch, 1), dc.BOS_ID, device=device)
    losses = torch.zeros(total_steps, device=device)
    t_start = time.perf_counter()
    best = {"val": validate(), "step": 0, "state": None}
    history = [{"step": 0, "epoch": 0.0, "train_loss": None, "val_nll": best["val"]}]
    log(f"step 0: val nll {best['val']:.4f} (untrained; ln {vocab} = {math.log(vocab):.4f})")
    step, time_limited, t_probe, eval_at_probe, schedule_steps = 0, False, None, 0.0, total_steps
    it = batches()
    while step < total_steps:
        starts = next(it)
        text = stream[starts[:, None] + arange]  # [batch, ctx] ids to predict
        inputs = torch.cat([bos, text[:, :-1]], dim=1)  # [batch, ctx], <|bos|> at position 0
        with torch.autocast(device.type, dtype=torch.bfloat16):
            logits = model(input_ids=inputs, use_cache=False).logits
        loss = F.cross_entropy(logits.float().view(-1, vocab), text.reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        for group in opt.param_groups:
            group["lr"] = lr_at(step)
        opt.step()
        losses[step] = loss.detach()
        step += 1
        if step == 20:
            sync()
            t_probe, eval_at_probe = time.perf_counter(), eval_seconds[0]
        if step == 80 and step < total_steps:
            sync()
            now = time.perf_counter()
            train_step = (now - t_probe - (eval_seconds[0] - eval_at_probe)) / 60
            per_step = train_step + eval_seconds[0] / len(history) / eval_every
            fits = int((args.seconds - (now - t_start)) * 0.95 / per_step)
            log(f"timing: {train_step * 1000:.1f} ms/step, {batch * ctx / train_step:,.0f} tokens/s, "
                f"{eval_seconds[0] / len(history):.2f}s/validation; {total_steps - step} more steps need "
                f"~{(total_steps - step) * per_step:.0f}s")
            if fits < total_steps - step:
                total_steps, schedule_steps, time_limited = step + max(fits, 1), step + max(fits, 1), True
                log(f"timing: cutting the run to {total_steps} steps to fit --seconds {args.seconds:.0f}")
        if time.perf_counter() - t_start > args.seconds and step < total_steps:
            log(f"time budget of {args.seconds:.0f}s spent at step {step}; stopping")
            total_steps = step
        if step % eval_every == 0 or step == total_steps:
            record(step, validate())
            h = history[-1]
            log(f"step {step}/{total_steps} epoch {h['epoch']:.2f} lr {lr_at(step - 1):.2e} "
                f"train loss {h['train_loss']:.4f} val nll {h['val_nll']:.4f}{' (best)' if best['step'] == step else ''}")
    train_seconds = time.perf_counter() - t_start
    for h in hooks:
        h.remove()
    if best["state"] is None:
        die("validation loss never went below the untrained model's; nothing worth saving")
    model.load_state_dict(best["state"])
    model.eval()
    window_tokens = batch * ctx
    at_best = losses[max(0, best["step"] - eval_every):best["step"]].mean().item()
    if best["step"] < 0.6 * step:
        log(f"hint: validation NLL bottomed out at epoch {best['step'] / steps_per_epoch:.1f} of {step / steps_per_epoch:.1f}; "
            f"a schedule that ends there (--epochs about {best['step'] / steps_per_epoch:.0f}) would likely do better")
    elif best["step"] == step:
        log("hint: validation NLL was still falling at the last step; more --epochs may do better")
    return {"steps": step, "steps_per_epoch": steps_per_epoch, "epochs": step / steps_per_epoch,
            "tokens_seen": step * window_tokens, "batch_size": batch, "context_tokens": ctx, "warmup_steps": warmup,
            "eval_every": eval_every, "time_limited": time_limited, "schedule_steps": schedule_steps,
            "train_seconds": train_seconds,
            "train_loss_last": losses[max(0, step - eval_every):step].mean().item(),
            "loss_window_last": step - max(0, step - eval_every),
            "loss_window_at_best": best["step"] - max(0, best["step"] - eval_every),
            "best_step": best["step"], "best_epoch": best["step"] / steps_per_epoch, "best_val_nll": best["val"],
            "train_loss_at_best": at_best, "tokens_seen_at_best": best["step"] * window_tokens, "history": history}


def save(torch, model, tok, out):
    from transformers import PreTrainedTokenizerFast

    model.to(torch.bfloat16).save_pretrained(out)
    PreTrainedTokenizerFast(tokenizer_object=tok, bos_token=dc.SPECIAL_TOKENS[dc.BOS_ID],
                            eos_token=dc.SPECIAL_TOKENS[dc.EOS_ID], pad_token=dc.SPECIAL_TOKENS[dc.PAD_ID],
                            model_max_length=CONTEXT_TOKENS).save_pretrained(out)
    weights = os.path.join(out, "model.safetensors")
    if not os.path.isfile(weights):
        die(f"save_pretrained wrote no {weights}; found {sorted(os.listdir(out))}")
    with open(os.path.join(out, "generation_config.json")) as f:
        gen = json.load(f)
    if gen.get("bos_token_id") != dc.BOS_ID or gen.get("eos_token_id") != dc.EOS_ID:
        die(f"generation_config.json has bos {gen.get('bos_token_id')} / eos {gen.get('eos_token_id')}, expected 0 / 1")


def evaluate(torch, data, out, device):
    """Reloads the saved folder in float32 and computes every reported number (demo_eval's definition)."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    import demo_eval as de

    model = AutoModelForCausalLM.from_pretrained(out, dtype=torch.float32).to(device).eval()
    hf_tok = AutoTokenizer.from_pretrained(out)
    for text in [c["text"] for c in data["chunks"]] + de.SAMPLE_PROMPTS:
        if hf_tok(text)["input_ids"] != data["tok"].encode(text).ids:
            die(f"the saved tokenizer encodes {text[:60]!r} differently from the trained one")
    stream = data["stream"]
    positions = [k * (len(stream) - CONTEXT_TOKENS) // TRAIN_SAMPLE_WINDOWS for k in range(TRAIN_SAMPLE_WINDOWS)]
    train_nll = [v for p in positions for v in de.window_nll(model, [dc.BOS_ID] + stream[p:p + CONTEXT_TOKENS - 1], device)]
    return {
        "heldout": de.score_texts(model, data["split"].test, data["ids"]["test"], CONTEXT_TOKENS, dc.BOS_ID, device),
        "chunks_overall": de.score_chunks(model, data["chunks"], device),
        "train_sample": {"num_windows": TRAIN_SAMPLE_WINDOWS, "num_tokens": len(train_nll), "mean_nll": sum(train_nll) / len(train_nll)},
        "greedy": de.greedy_references(model, data["tok"], GREEDY_TOKENS, device),
        "sampled": [{"prompt": p, "seed": 0, "text": de.sampled_continuation(model, data["tok"], p, 64, 0, device)}
                    for p in de.SAMPLE_PROMPTS],
    }


def main(argv):
    args = parse_args(argv)
    paragraphs, addresses = load_corpus(args.corpus)
    if args.prepare_only:
        prepare(args, paragraphs, addresses)
        log("--prepare-only: done")
        return
    if expected_params(args.vocab_size) * 2 + SAFETENSORS_HEADER_BYTES > MAX_SAFETENSORS_BYTES:
        die(f"{expected_params(args.vocab_size):,} parameters would make model.safetensors about "
            f"{expected_params(args.vocab_size) * 2:,} bytes, over the {MAX_SAFETENSORS_BYTES:,}-byte limit")
    torch, device_name = check_environment(args.device)
    check_out_dir(args.out, args.overwrite)
    data = prepare(args, paragraphs, addresses)
    device = torch.device(args.device)
    model = build_model(torch, data["tok"].get_vocab_size(), args.seed).to(device)
    num_params = sum(p.numel() for p in model.parameters())
    log(f"model: LlamaForCausalLM {MODEL_SHAPE}, vocab {model.config.vocab_size}, tied embeddings, "
        f"{num_params:,} parameters ({num_params * 2 / 1e6:.2f} MB in bfloat16)")
    if num_params != expected_params(model.config.vocab_size):
        die(f"the model has {num_params:,} parameters, expected_params() says {expected_params(model.config.vocab_size):,}")
    run = train(torch, model, data, args, device)
    log(f"trained {run['steps']} steps ({run['epochs']:.2f} epochs, {run['tokens_seen']:,} tokens) in "
        f"{run['train_seconds']:.0f}s; keeping step {run['best_step']} (val nll {run['best_val_nll']:.4f})")
    save(torch, model, data["tok"], args.out)
    del model
    result = evaluate(torch, data, args.out, device)

    import demo_card
    import demo_eval as de
    import transformers

    meta = {"args": vars(args), "num_params": num_params, "device": device_name, "torch": torch.__version__,
            "transformers": transformers.__version__, "model_shape": MODEL_SHAPE, "context_tokens": CONTEXT_TOKENS,
            "vocab_size": data["tok"].get_vocab_size(),
            "safetensors_bytes": os.path.getsize(os.path.join(args.out, "model.safetensors")),
            "split": dc.describe(data["split"], data["ids"]), "wall_seconds": time.perf_counter() - T0}
    eval_doc = {"model": os.path.basename(os.path.abspath(args.out)), "definition": de.DEFINITION,
                "context_tokens": CONTEXT_TOKENS, "bos_id": dc.BOS_ID,
                "reference": {"computed_by": "transformers AutoModelForCausalLM, float32 on the saved bfloat16 weights, TF32 off",
                              "torch": torch.__version__, "transformers": transformers.__version__, "device": device_name},
                "heldout": result["heldout"], "chunks_overall": result["chunks_overall"], "chunks": data["chunks"],
                "train_sample": result["train_sample"], "greedy": result["greedy"]}
    with open(os.path.join(args.out, "eval.json"), "w", encoding="utf-8") as f:
        json.dump(eval_doc, f, ensure_ascii=False, indent=1)
    demo_card.write(os.path.join(args.out, "README.md"), meta, run, result)

    for g, s in zip(result["greedy"], result["sampled"]):
        greedy_text = data["tok"].decode(g["greedy_ids"][:g["greedy_ids"].index(dc.EOS_ID)] if dc.EOS_ID in g["greedy_ids"] else g["greedy_ids"])
        log(f"greedy : {g['prompt']}{greedy_text}")
        log(f"sampled: {s['prompt']}{s['text']}")
    h = result["heldout"]["overall"]
    c = result["chunks_overall"]
    log(f"files: {sorted(os.listdir(args.out))}")
    print(f"SUMMARY params={num_params} safetensors_mb={meta['safetensors_bytes'] / 1e6:.2f} steps={run['steps']} "
          f"epochs={run['epochs']:.2f} tokens_seen={run['tokens_seen']} best_step={run['best_step']} "
          f"train_loss={run['train_loss_at_best']:.4f} val_nll={run['best_val_nll']:.4f} "
          f"heldout_nll={h['mean_nll']:.4f} heldout_ppl={h['perplexity']:.2f} chunks_nll={c['mean_nll']:.4f} "
          f"chunks_ppl={c['perplexity']:.2f} time_limited={run['time_limited'] or run['steps'] != run['schedule_steps']} wall_s={meta['wall_seconds']:.0f} "
          f"out={args.out}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
