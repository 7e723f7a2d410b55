#!/usr/bin/env python3
# Runs ON THE GPU MACHINE (its python3 has PyTorch): python3 tools/gpu/torch-gemm.py. PyTorch's bf16 matmul on the
# 8B shape's products, to compare with GemmInvarianceBenchmark (docs/performance.md, "The GEMM rate").
import torch
print("torch", torch.__version__, "cuda", torch.version.cuda)
print("preferred blas", torch.backends.cuda.preferred_blas_library())
dev = torch.device("cuda")
def bench(m, k, n, reduced, reps=20):
    torch.backends.cuda.matmul.allow_bf16_reduced_precision_reduction = reduced
    a = torch.randn(m, k, device=dev, dtype=torch.bfloat16)
    w = torch.randn(n, k, device=dev, dtype=torch.bfloat16)
    for _ in range(3):
        torch.matmul(a, w.t())
    torch.cuda.synchronize()
    # warm the clocks
    end = torch.cuda.Event(enable_timing=True); start = torch.cuda.Event(enable_timing=True)
    times = []
    for _ in range(reps):
        start.record(); torch.matmul(a, w.t()); end.record(); end.synchronize()
        times.append(start.elapsed_time(end))
    times.sort()
    ms = times[len(times) // 2]
    return 2.0 * m * k * n / (ms * 1e-3) / 1e12, ms
x = torch.randn(8192, 8192, device=dev, dtype=torch.bfloat16)
for _ in range(200):
    x @ x
torch.cuda.synchronize()
for reduced in (False, True):
    print("allow_bf16_reduced_precision_reduction", reduced)
    for (m, k, n, what) in [(8192, 8192, 8192, "8192^3"), (16384, 4096, 6144, "8B qkv, 16384 rows"),
                            (16384, 4096, 4096, "8B o_proj"), (16384, 4096, 28672, "8B gate_up"),
                            (16384, 14336, 4096, "8B down"), (1024, 4096, 28672, "8B gate_up, 1024 rows"),
                            (1024, 14336, 4096, "8B down, 1024 rows"), (256, 4096, 28672, "8B gate_up, 256 rows")]:
        tflops, ms = bench(m, k, n, reduced)
        print(f"  {what:28s} {ms:8.3f} ms {tflops:7.1f} TFLOP/s")
a = torch.randn(16384, 4096, device=dev, dtype=torch.bfloat16)
w = torch.randn(28672, 4096, device=dev, dtype=torch.bfloat16)
try:
    torch.backends.cuda.matmul.allow_bf16_reduced_precision_reduction = False
    out = torch.mm(a, w.t(), out_dtype=torch.float32)
    start = torch.cuda.Event(enable_timing=True); end = torch.cuda.Event(enable_timing=True)
    ts = []
    for _ in range(20):
        start.record(); torch.mm(a, w.t(), out_dtype=torch.float32); end.record(); end.synchronize()
        ts.append(start.elapsed_time(end))
    ts.sort()
    tflops = 2.0 * 16384 * 4096 * 28672 / (ts[10] * 1e-3) / 1e12
    print("gate_up 16384 rows, float32 out (out_dtype):", round(tflops, 1), "TFLOP/s")
except Exception as e:
    print("out_dtype float32:", type(e).__name__, e)
