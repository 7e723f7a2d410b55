# transformers' numbers for strided sliding-window scoring (the loop of transformers' guide "Perplexity of
# fixed-length models") on Flood's reference checkpoints, for flood-core's SlidingWindowReferenceTest.
# Run with a python3 that has torch, transformers and tokenizers (the GPU machine's; it computes on the CPU):
#   python3 tools/sliding_window_reference.py flood-core/src/test/resources/fixtures OUT.json
# then copy OUT.json to flood-core/src/test/resources/fixtures/sliding-window-reference.json.
# Each case: model, max_length (null = the model's context), stride, the text and its input_ids (the fixture's
# tokenizer, <|bos|> included), windows, token_logprobs[i] = log p(token i+1 | the tokens of its window before it),
# mean_nll and perplexity over all of them, and guide_perplexity: the guide's own aggregation, which weights every
# window after the first by one token less than it scores (num_valid_tokens - batch_size).
import json, math, os, sys
import torch
from tokenizers import Tokenizer
from transformers import AutoModelForCausalLM

fixtures, out = sys.argv[1], sys.argv[2]
torch.backends.cuda.matmul.allow_tf32 = False
torch.set_grad_enabled(False)

TEXT = """Scoring a corpus is quiet work. Each document is read once, every token is weighed against everything that
came before it, and the numbers are written down: how surprised the model was, position by position. Nothing is
sampled and nothing is generated, so the whole job is one long prefill.

A model can only read so far back. When a document is longer than its context, the text has to be cut into pieces,
and the way it is cut changes the answer. Cut it into disjoint blocks and the first tokens of every block are
predicted from almost nothing. Slide a window instead, a stride at a time, and let each window score only the tokens
that no earlier window scored: then every token still counts once, but each one is predicted with a long stretch of
the text in front of it.

The harbour was grey that morning. Fishing boats came in one after another, low in the water, and the gulls
followed them all the way to the quay. A boy counted the crates as they were lifted out and wrote the number on a
slate; when the slate was full he wiped it with his sleeve and started again. Nobody asked him for the total. The
counting was the job, not the sum.

Licences, manuals and reference pages make up most of what the tokenizer was trained on, so ordinary prose breaks
into more pieces than a technical sentence would. That is fine for a test: the point is a text of many hundreds of
tokens, long enough that several windows are needed even when each window holds five hundred of them.

In the afternoon the wind turned and the tide came up fast. The boats that were still out had to tack against it,
and one of them lost a sail. It came in late, under oars, and the whole quay stood watching until it was tied up.
Then everyone went back to what they had been doing, as if nothing had happened, which was more or less true.

Permission to copy this paragraph is granted to anyone who finds it useful. It carries no warranty of any kind,
express or implied, including but not limited to the warranties of merchantability and fitness for a purpose.
"""

# (fixture, max_length or None for the model's context, stride): long and short windows, odd strides, the
# largest stride allowed (max_length - 1), tied and untied embeddings.
CASES = [("tiny-llama", None, 256), ("tiny-llama", 100, 37), ("tiny-qwen2", 64, 16), ("tiny-qwen3", 200, 100),
         ("tiny-qwen3", 512, 511)]


def guide_windows(seq_len, max_length, stride):
    """The guide's loop: (begin_loc, end_loc, trg_len) per window."""
    prev_end_loc = 0
    for begin_loc in range(0, seq_len, stride):
        end_loc = min(begin_loc + max_length, seq_len)
        yield begin_loc, end_loc, end_loc - prev_end_loc
        prev_end_loc = end_loc
        if end_loc == seq_len:
            break


cases = []
models = {}
for name, max_length_option, stride in CASES:
    folder = os.path.join(fixtures, name)
    if name not in models:
        # As make_fixtures.py made reference.json: the model held in bf16, then computed in float32, so the rotary
        # inverse frequencies (a buffer) are bf16-rounded as they are in a bf16 model (see Flood's RotaryTable).
        models[name] = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32).to(torch.bfloat16).float().eval()
    model = models[name]
    max_length = max_length_option or model.config.max_position_embeddings
    ids = Tokenizer.from_file(os.path.join(folder, "tokenizer.json")).encode(TEXT).ids
    token_logprobs, nll_sum, n_tokens, windows = [], 0.0, 0, 0
    for begin, end, trg_len in guide_windows(len(ids), max_length, stride):
        input_ids = torch.tensor([ids[begin:end]])
        target_ids = input_ids.clone()
        target_ids[:, :-trg_len] = -100
        outputs = model(input_ids, labels=target_ids)
        logprobs = torch.log_softmax(outputs.logits[0].float(), -1)
        for label in range(max(1, (end - begin) - trg_len), end - begin):
            token_logprobs.append(logprobs[label - 1, ids[begin + label]].item())
        num_loss_tokens = (target_ids != -100).sum().item() - target_ids.size(0)
        nll_sum += outputs.loss.item() * num_loss_tokens
        n_tokens += num_loss_tokens
        windows += 1
    assert len(token_logprobs) == len(ids) - 1
    mean_nll = -sum(token_logprobs) / len(token_logprobs)
    cases.append(dict(model=name, max_length=max_length_option, stride=stride, text=TEXT, input_ids=ids,
                      windows=windows, token_logprobs=token_logprobs, mean_nll=mean_nll, perplexity=math.exp(mean_nll),
                      guide_perplexity=math.exp(nll_sum / n_tokens)))
    print(name, max_length, stride, len(ids), "tokens", windows, "windows", "ppl", math.exp(mean_nll),
          "guide", math.exp(nll_sum / n_tokens))

import transformers
json.dump(dict(transformers=transformers.__version__, torch=torch.__version__,
               reference_dtype="float32 compute on bf16-rounded weights and rotary frequencies, on the CPU", cases=cases), open(out, "w"))
