package dev.flood.backend.cpu;

import dev.flood.api.EngineConfig;
import dev.flood.api.FloodException;
import dev.flood.backend.AttentionShape;
import dev.flood.backend.Backend;
import dev.flood.backend.ExpertRouting;
import dev.flood.backend.ForwardBatch;
import dev.flood.backend.Handoff;
import dev.flood.backend.HeadSpan;
import dev.flood.backend.OutputSpec;
import dev.flood.backend.PendingOutputs;
import dev.flood.backend.RotaryTable;
import dev.flood.backend.RouterSpec;
import dev.flood.backend.ScoredRows;
import dev.flood.backend.StepHead;
import dev.flood.backend.StepOutputs;
import dev.flood.backend.StepTime;
import dev.flood.backend.Tensor;
import dev.flood.backend.Weight;
import dev.flood.config.ModelConfig;
import dev.flood.sampling.Draw;
import dev.flood.sampling.RowLogprobs;
import dev.flood.sampling.Sampler;
import dev.flood.sampling.SamplingState;
import dev.flood.weights.WeightSource;
import java.util.ArrayList;
import java.util.List;

/**
 * The reference backend: every operation in plain float32 on the JVM heap, parallel over independent output
 * elements only. Each output element is computed by one fixed loop whatever the batch, thread count or chunking,
 * so a request's numbers do not depend on what else runs with it (batch invariance, exactly).
 *
 * <p>Steps run synchronously on the calling thread (a pipeline stage's worker): {@link #launchOutputs} returns
 * finished outputs and keeps the drawn tokens for the next step's deferred rows. Every tensor is a fresh array,
 * so steps in flight need no buffers of their own.
 */
public final class CpuBackend implements Backend {

    /** Output tile of {@link #linear}: tokens by output features computed by one task. */
    private static final int TILE = 16;
    /** Heap for one chunk of {@link #lmHeadLogprobs}' float32 logits (64 MiB: 130 rows of a 128k vocabulary). */
    static final long LOGITS_CHUNK_BYTES = 64L << 20;

    private final Parallel parallel;
    private final Sampler sampler = new Sampler();
    private final CpuStepClock clock = new CpuStepClock(System::nanoTime);
    // Tokens drawn by the last step's launchOutputs, by sample row; null when that step drew none (or failed
    // first). drawnBefore: the same of the step before the current one, which the current one's deferred rows read.
    private int[] drawnLast;
    private int[] drawnBefore;
    // [numLayers][capacityTokens * kvSize]: slot s holds its kv heads at [s * kvSize, (s + 1) * kvSize)
    private float[][] keyCache = new float[0][];
    private float[][] valueCache = new float[0][];

    public CpuBackend(int threads) {
        this.parallel = new Parallel(threads);
    }

    @Override
    public String name() {
        return "cpu";
    }

    @Override
    public Weight loadMatrix(WeightSource source, List<String> names, List<Integer> rowsPerPart, int cols) {
        int rows = rowsPerPart.stream().mapToInt(Integer::intValue).sum();
        CpuTensor w = new CpuTensor(rows, cols);
        int offset = 0;
        for (int p = 0; p < names.size(); p++) {
            float[] part = source.loadFloats(names.get(p), rowsPerPart.get(p), cols);
            System.arraycopy(part, 0, w.data(), offset, part.length);
            offset += part.length;
        }
        return w;
    }

    @Override
    public Weight loadVector(WeightSource source, List<String> names, List<Integer> lengths) {
        int total = lengths.stream().mapToInt(Integer::intValue).sum();
        CpuTensor w = new CpuTensor(1, total);
        int offset = 0;
        for (int p = 0; p < names.size(); p++) {
            float[] part = source.loadFloats(names.get(p), lengths.get(p));
            System.arraycopy(part, 0, w.data(), offset, part.length);
            offset += part.length;
        }
        return w;
    }

    /**
     * As many token slots as fit in half the heap left after loading the weights (fp32 keys and values for every
     * layer), capped at what the running requests could ever use and at the largest Java array.
     */
    @Override
    public int suggestCacheTokens(int cacheLayers, ModelConfig model, EngineConfig config) {
        Runtime runtime = Runtime.getRuntime();
        long freeHeap = runtime.maxMemory() - (runtime.totalMemory() - runtime.freeMemory());
        long bytesPerToken = 2L * cacheLayers * model.kvSize() * Float.BYTES;
        long byMemory = freeHeap / 2 / bytesPerToken;
        long byUse = (long) config.maxRunningRequests() * model.maxPositions();
        long bySlab = (Integer.MAX_VALUE - 8) / model.kvSize();
        return (int) Math.max(1, Math.min(Math.min(byMemory, byUse), bySlab));
    }

    @Override
    public void allocateCache(int numLayers, int capacityTokens, int kvSize) {
        long floats = (long) capacityTokens * kvSize;
        if (floats > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("a CPU cache slab of " + capacityTokens + " tokens x " + kvSize
                    + " floats exceeds a Java array; use fewer cache tokens");
        }
        keyCache = new float[numLayers][(int) floats];
        valueCache = new float[numLayers][(int) floats];
    }

    @Override
    public void beginStep(ForwardBatch batch) {
        clock.begin();
        drawnBefore = drawnLast;
        drawnLast = null;
    }

    @Override
    public void endStep() {
        clock.end();
    }

    @Override
    public List<StepTime> drainStepTimes() {
        return clock.drain();
    }

    @Override
    public Tensor allocate(int rows, int cols) {
        return new CpuTensor(rows, cols);
    }

    @Override
    public void embed(Weight table, ForwardBatch batch, Tensor out) {
        CpuTensor t = CpuTensor.of(table);
        CpuTensor o = CpuTensor.of(out);
        int width = t.cols();
        int[] ids = tokenIds(batch);
        parallel.forEach(ids.length, row -> System.arraycopy(t.data(), ids[row] * width, o.data(), row * width, width));
    }

    /** The batch's token ids with deferred rows resolved from the previous step's drawn tokens. */
    private int[] tokenIds(ForwardBatch batch) {
        if (!batch.hasDeferredTokens()) {
            return batch.tokenIds();
        }
        int[] ids = batch.tokenIds().clone();
        for (int row = 0; row < ids.length; row++) {
            int source = batch.deferredTokens()[row];
            if (source < 0) {
                continue;
            }
            if (drawnBefore == null) {
                ids[row] = 0;   // the previous step failed before drawing: the engine discards this row
            } else if (source >= drawnBefore.length) {
                throw new IllegalArgumentException("row " + row + " feeds sample row " + source
                        + " of the previous step, which drew " + drawnBefore.length + " tokens");
            } else {
                ids[row] = drawnBefore[source];
            }
        }
        return ids;
    }

    @Override
    public void rmsNorm(Tensor x, Weight weight, float eps, Tensor out) {
        CpuTensor in = CpuTensor.of(x);
        CpuTensor o = CpuTensor.of(out);
        float[] w = CpuTensor.of(weight).data();
        parallel.forEach(in.rows(), row -> normRow(in.data(), row * in.cols(), w, eps, o.data(), row * in.cols(), in.cols()));
    }

    @Override
    public void addRmsNorm(Tensor residual, Tensor x, Weight weight, float eps, Tensor out) {
        CpuTensor res = CpuTensor.of(residual);
        float[] add = CpuTensor.of(x).data();
        float[] o = CpuTensor.of(out).data();
        float[] w = CpuTensor.of(weight).data();
        int width = res.cols();
        parallel.forEach(res.rows(), row -> {
            addRow(res.data(), add, row * width, width);
            normRow(res.data(), row * width, w, eps, o, row * width, width);
        });
    }

    /** {@code target[base ..] += add[base ..]} over one row of {@code width}. */
    private static void addRow(float[] target, float[] add, int base, int width) {
        for (int i = 0; i < width; i++) {
            target[base + i] += add[base + i];
        }
    }

    /** RMSNorm of one row as transformers computes it: mean of squares, times rsqrt(mean + eps), then weight. */
    private static void normRow(float[] x, int from, float[] weight, float eps, float[] out, int to, int width) {
        double sumSquares = 0;
        for (int i = 0; i < width; i++) {
            float v = x[from + i];
            sumSquares += v * v;
        }
        float inverseRms = (float) (1.0 / Math.sqrt((float) (sumSquares / width) + eps));
        for (int i = 0; i < width; i++) {
            out[to + i] = weight[i] * (x[from + i] * inverseRms);
        }
    }

    @Override
    public void linearAdd(Tensor x, Weight weight, Weight bias, Tensor scratch, Tensor residual) {
        linear(x, weight, bias, scratch);
        CpuTensor res = CpuTensor.of(residual);
        float[] product = CpuTensor.of(scratch).data();
        int width = res.cols();
        parallel.forEach(res.rows(), row -> addRow(res.data(), product, row * width, width));
    }

    @Override
    public void linear(Tensor x, Weight weight, Weight bias, Tensor out) {
        CpuTensor in = CpuTensor.of(x);
        CpuTensor w = CpuTensor.of(weight);
        CpuTensor o = CpuTensor.of(out);
        float[] b = bias == null ? null : CpuTensor.of(bias).data();
        int numTokens = in.rows();
        int inFeatures = in.cols();
        int outFeatures = w.rows();
        if (w.cols() != inFeatures || o.cols() != outFeatures || o.rows() != numTokens) {
            throw new IllegalArgumentException("linear: x [" + numTokens + ", " + inFeatures + "] weight ["
                    + outFeatures + ", " + w.cols() + "] out [" + o.rows() + ", " + o.cols() + "]");
        }
        int tokenTiles = (numTokens + TILE - 1) / TILE;
        int featureTiles = (outFeatures + TILE - 1) / TILE;
        parallel.forEach(tokenTiles * featureTiles, tile -> {
            int t0 = (tile / featureTiles) * TILE;
            int f0 = (tile % featureTiles) * TILE;
            for (int t = t0; t < Math.min(t0 + TILE, numTokens); t++) {
                for (int f = f0; f < Math.min(f0 + TILE, outFeatures); f++) {
                    float sum = dot(in.data(), t * inFeatures, w.data(), f * inFeatures, inFeatures);
                    o.data()[t * outFeatures + f] = b == null ? sum : sum + b[f];
                }
            }
        });
    }

    /** Dot product with four partial sums in a fixed order (fixed rounding, whatever the caller). */
    static float dot(float[] a, int aFrom, float[] b, int bFrom, int length) {
        float s0 = 0;
        float s1 = 0;
        float s2 = 0;
        float s3 = 0;
        int i = 0;
        for (; i + 3 < length; i += 4) {
            s0 += a[aFrom + i] * b[bFrom + i];
            s1 += a[aFrom + i + 1] * b[bFrom + i + 1];
            s2 += a[aFrom + i + 2] * b[bFrom + i + 2];
            s3 += a[aFrom + i + 3] * b[bFrom + i + 3];
        }
        for (; i < length; i++) {
            s0 += a[aFrom + i] * b[bFrom + i];
        }
        return (s0 + s1) + (s2 + s3);
    }

    @Override
    public void headRmsNorm(Tensor x, HeadSpan heads, Weight weight, float eps) {
        CpuTensor t = CpuTensor.of(x);
        float[] w = CpuTensor.of(weight).data();
        int dim = heads.headDim();
        parallel.forEach(t.rows() * heads.numHeads(), item -> {
            int at = (item / heads.numHeads()) * t.cols() + heads.firstColumn() + (item % heads.numHeads()) * dim;
            normRow(t.data(), at, w, eps, t.data(), at, dim);
        });
    }

    @Override
    public void rotary(Tensor qkv, AttentionShape shape, RotaryTable rotary, ForwardBatch batch) {
        CpuTensor t = CpuTensor.of(qkv);
        int half = rotary.half();
        int headsToRotate = shape.numHeads() + shape.numKvHeads();  // query heads, then key heads, contiguous
        parallel.forEach(t.rows(), row -> {
            int position = batch.positions()[row];
            int table = position * half;
            for (int h = 0; h < headsToRotate; h++) {
                int at = row * t.cols() + h * shape.headDim();
                for (int i = 0; i < half; i++) {
                    float x1 = t.data()[at + i];
                    float x2 = t.data()[at + i + half];
                    float cos = rotary.cos()[table + i];
                    float sin = rotary.sin()[table + i];
                    t.data()[at + i] = x1 * cos - x2 * sin;
                    t.data()[at + i + half] = x2 * cos + x1 * sin;
                }
            }
        });
    }

    @Override
    public void writeCache(int layer, Tensor qkv, AttentionShape shape, ForwardBatch batch) {
        CpuTensor t = CpuTensor.of(qkv);
        int kvSize = shape.kvSize();
        float[] keys = keyCache[layer];
        float[] values = valueCache[layer];
        parallel.forEach(t.rows(), row -> {
            int slot = batch.slotMapping()[row];
            System.arraycopy(t.data(), row * t.cols() + shape.kColumn(), keys, slot * kvSize, kvSize);
            System.arraycopy(t.data(), row * t.cols() + shape.vColumn(), values, slot * kvSize, kvSize);
        });
    }

    @Override
    public void attention(int layer, Tensor qkv, AttentionShape shape, ForwardBatch batch, Tensor out) {
        CpuAttention.run(parallel, keyCache[layer], valueCache[layer], CpuTensor.of(qkv), shape, batch,
                CpuTensor.of(out));
    }

    @Override
    public void siluMul(Tensor gateUp, Tensor out) {
        CpuTensor in = CpuTensor.of(gateUp);
        CpuTensor o = CpuTensor.of(out);
        int width = o.cols();
        parallel.forEach(in.rows(), row -> {
            for (int i = 0; i < width; i++) {
                float gate = in.data()[row * in.cols() + i];
                float up = in.data()[row * in.cols() + width + i];
                float silu = (float) (gate / (1.0 + Math.exp(-gate)));
                o.data()[row * width + i] = silu * up;
            }
        });
    }

    @Override
    public ExpertRouting routeExperts(Tensor routerLogits, RouterSpec spec) {
        return CpuExperts.route(parallel, CpuTensor.of(routerLogits), spec);
    }

    @Override
    public void expertLinear(Tensor x, ExpertRouting routing, Weight experts, Tensor out) {
        CpuExperts.linear(parallel, CpuTensor.of(x), routing(routing), CpuTensor.of(experts), CpuTensor.of(out));
    }

    @Override
    public void combineExperts(Tensor expertOut, ExpertRouting routing, Tensor out) {
        CpuExperts.combine(parallel, CpuTensor.of(expertOut), routing(routing), CpuTensor.of(out));
    }

    private static CpuExperts.Routing routing(ExpertRouting routing) {
        if (routing instanceof CpuExperts.Routing r) {
            return r;
        }
        throw new IllegalArgumentException("not a CPU routing: " + routing);
    }

    @Override
    public Tensor gatherRows(Tensor x, int[] rows) {
        CpuTensor in = CpuTensor.of(x);
        CpuTensor o = new CpuTensor(rows.length, in.cols());
        for (int r = 0; r < rows.length; r++) {
            System.arraycopy(in.data(), rows[r] * in.cols(), o.data(), r * in.cols(), in.cols());
        }
        return o;
    }

    @Override
    public int[] sample(Tensor logits, List<SamplingState> states) {
        CpuTensor t = CpuTensor.of(logits);
        int vocab = t.cols();
        int[] tokens = new int[states.size()];
        parallel.forEach(states.size(), row -> tokens[row] = sampler.sample(t.data(), row * vocab, states.get(row)));
        return tokens;
    }

    @Override
    public List<RowLogprobs> logprobs(Tensor logits, int[] chosenTokens, int topN) {
        CpuTensor t = CpuTensor.of(logits);
        int vocab = t.cols();
        RowLogprobs[] rows = new RowLogprobs[chosenTokens.length];
        parallel.forEach(rows.length, row -> rows[row] = Sampler.rowLogprobs(t.data(), row * vocab, vocab,
                chosenTokens[row], topN));
        return List.of(rows);
    }

    /**
     * Chunk by chunk of rows: gather, {@link #linear} into float32 logits, then {@link #logprobs}; each result is
     * exactly what the unchunked computation gives (every row is computed alone).
     */
    @Override
    public List<RowLogprobs> lmHeadLogprobs(Tensor hidden, Weight lmHead, ScoredRows rows) {
        int vocab = CpuTensor.of(lmHead).rows();
        ScoredRows.check(rows, CpuTensor.of(hidden).rows(), vocab);
        int chunkRows = (int) Math.max(1, Math.min(rows.size(), LOGITS_CHUNK_BYTES / ((long) vocab * Float.BYTES)));
        List<RowLogprobs> result = new ArrayList<>(rows.size());
        for (int start = 0; start < rows.size(); start += chunkRows) {
            ScoredRows chunk = rows.slice(start, Math.min(chunkRows, rows.size() - start));
            Tensor logits = new CpuTensor(chunk.size(), vocab);
            linear(gatherRows(hidden, chunk.rows()), lmHead, null, logits);
            result.addAll(logprobs(logits, chunk.targets(), chunk.topN()));
        }
        return result;
    }

    /**
     * Draws and their log-probabilities from the logits, scores through {@link #lmHeadLogprobs}, all computed
     * here; the drawn tokens are kept for the next step. A row whose logits cannot be used gets its error instead
     * (token 0; see {@link StepOutputs}).
     */
    @Override
    public PendingOutputs launchOutputs(StepHead head, OutputSpec spec) {
        int[] tokens = new int[spec.sampleRows().length];
        RowLogprobs[] tokenLogprobs = new RowLogprobs[tokens.length];
        String[] sampleErrors = new String[tokens.length];
        if (tokens.length > 0) {
            CpuTensor t = CpuTensor.of(head.logitsFor(spec));
            int vocab = t.cols();
            int topN = spec.maxTopLogprobs();
            parallel.forEach(tokens.length, k -> {
                int offset = spec.sampleRows()[k] * vocab;
                Draw draw = spec.draws().get(k);
                try {
                    tokens[k] = sampler.sample(t.data(), offset, draw, new float[vocab]);
                    if (draw.state().params().logprobs() > 0) {
                        tokenLogprobs[k] = Sampler.rowLogprobs(t.data(), offset, vocab, tokens[k], topN);
                    }
                } catch (FloodException e) {
                    tokens[k] = 0;
                    sampleErrors[k] = e.getMessage();
                }
            });
        }
        double[] scores = new double[spec.scoreRows().length];
        String[] scoreErrors = new String[scores.length];
        score(head, spec.scored(), scores, scoreErrors);
        drawnLast = tokens;
        return PendingOutputs.completed(new StepOutputs(tokens, tokenLogprobs, scores, sampleErrors, scoreErrors));
    }

    /**
     * Fills {@code scores} with each scored row's log-probability; if a row cannot be scored, the rows are scored
     * one at a time, so that only the bad rows get an error (in {@code errors}) and the others their values.
     */
    private void score(StepHead head, ScoredRows rows, double[] scores, String[] errors) {
        try {
            List<RowLogprobs> all = lmHeadLogprobs(head.hidden(), head.lmHead(), rows);
            for (int r = 0; r < scores.length; r++) {
                scores[r] = all.get(r).chosenLogprob();
            }
        } catch (FloodException anyRow) {
            for (int r = 0; r < scores.length; r++) {
                try {
                    scores[r] = lmHeadLogprobs(head.hidden(), head.lmHead(), rows.slice(r, 1)).get(0).chosenLogprob();
                } catch (FloodException e) {
                    errors[r] = e.getMessage();
                }
            }
        }
    }

    /** The tensors themselves: {@link #receive} copies them. */
    @Override
    public Handoff handOff(List<Tensor> tensors) {
        List<Tensor> checked = tensors.stream().map(t -> (Tensor) CpuTensor.of(t)).toList();
        return () -> checked;
    }

    @Override
    public List<Tensor> receive(Handoff handoff) {
        List<Tensor> copies = new ArrayList<>();
        for (Tensor tensor : handoff.tensors()) {
            CpuTensor t = CpuTensor.of(tensor);
            copies.add(new CpuTensor(t.data().clone(), t.rows(), t.cols()));
        }
        return copies;
    }

    @Override
    public float[] toHost(Tensor x) {
        return CpuTensor.of(x).data().clone();
    }

    @Override
    public void close() {
        keyCache = new float[0][];
        valueCache = new float[0][];
        parallel.close();
    }
}
