package dev.flood.backend.cuda;

import static dev.flood.backend.cuda.CudaErrors.checkBlas;

import dev.flood.api.FloodException;
import dev.flood.weights.DType;
import java.util.LinkedHashMap;
import java.util.Map;
import org.bytedeco.cuda.cublas.cublasLtContext;
import org.bytedeco.cuda.cublas.cublasLtMatmulAlgo_t;
import org.bytedeco.cuda.cublas.cublasLtMatmulDescOpaque_t;
import org.bytedeco.cuda.cublas.cublasLtMatmulHeuristicResult_t;
import org.bytedeco.cuda.cublas.cublasLtMatmulPreferenceOpaque_t;
import org.bytedeco.cuda.cublas.cublasLtMatrixLayoutOpaque_t;
import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.cuda.global.cublas;
import org.bytedeco.cuda.global.cudart;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerPointer;
import org.bytedeco.javacpp.SizeTPointer;

/**
 * The backend's bf16 products through cuBLASLt: {@code out [m, n] = x [m, k] · W [n, k]ᵀ}, bf16 operands, float32
 * accumulation, float32 or bf16 output, all row-major (the column-major {@code outᵀ [n, m] = W (op T) · xᵀ}).
 *
 * <p><b>Batch invariance.</b> A row of the output must not depend on how many other rows the step holds, or a
 * request's tokens would change with the batch it lands in. cuBLAS picks its kernel by the row count, and the
 * kernels that split the inner dimension (split-K, with a reduction afterwards) sum a row's products in another
 * order. So the heuristic is asked only for algorithms without such a reduction
 * ({@code CUBLASLT_MATMUL_PREF_REDUCTION_SCHEME_MASK} = none): every such kernel walks the inner dimension once, in
 * order, so a row's sum is the same whatever the tile shape the row count chooses. {@code GemmInvarianceBenchmark}
 * measures it on the GPU (docs/performance.md): with {@code cublasGemmEx}'s own choice, the 8B shape's o and down
 * products of 1 to 256 rows differed from the same rows of a 16,384-row product in nearly every float32 value;
 * with these algorithms no value of any product differed at any row count, at the same speed within a few percent.
 * {@code CudaOpsTest} checks it on every GPU run.
 * JCuda owns the device memory; its raw addresses are wrapped in JavaCPP pointers ({@link Address}) without copying.
 *
 * <p>One plan (descriptors and algorithm) per shape, kept for the shapes seen most recently. On the backend's
 * stream; one thread.
 */
final class Blas implements AutoCloseable {

    /** A JavaCPP pointer at a raw device address. */
    static final class Address extends Pointer {
        Address(long address) {
            this.address = address;
        }
    }

    /**
     * cuBLASLt's workspace, set once: 32 MiB is what cuBLAS documents for Hopper's kernels, and a workspace of our
     * own keeps cuBLAS from allocating during a captured CUDA graph.
     */
    static final long WORKSPACE_BYTES = 32L << 20;
    private static final int MAX_PLANS = 512;

    /** A product's shape: {@code m} activation rows (tokens), {@code n} weight rows, {@code k} the inner size. */
    record Shape(int m, int n, int k, DType out) {
        Shape {
            if (out != DType.F32 && out != DType.BF16) {
                throw new IllegalArgumentException("a bf16 product writes float32 or bf16, not " + out);
            }
        }
    }

    private final CudaDevice device;
    private final cublasLtContext handle = new cublasLtContext();
    private final CUstream_st stream;
    private final DeviceAllocation workspace;
    private final cublasLtMatmulPreferenceOpaque_t preference;
    private final FloatPointer one = new FloatPointer(1f);
    private final FloatPointer zero = new FloatPointer(0f);
    private final Map<Shape, Plan> plans = new LinkedHashMap<>(16, 0.75f, true);

    Blas(CudaDevice device) {
        this.device = device;
        try {
            checkBlas(cublas.cublasLtCreate(handle), "cublasLtCreate");
        } catch (UnsatisfiedLinkError | NoClassDefFoundError e) {
            throw new FloodException("the CUDA backend is unavailable: cuBLAS 13 could not be loaded (" + e.getMessage()
                    + "); are the CUDA 13 libraries (libcublasLt.so.13) on LD_LIBRARY_PATH?", e);
        }
        this.stream = new CUstream_st(new Address(device.stream().address()));
        this.workspace = device.allocate(WORKSPACE_BYTES, "the cuBLASLt workspace");
        PointerPointer<cublasLtMatmulPreferenceOpaque_t> created = new PointerPointer<>(1);
        checkBlas(cublas.cublasLtMatmulPreferenceCreate(created), "cublasLtMatmulPreferenceCreate");
        this.preference = created.get(cublasLtMatmulPreferenceOpaque_t.class, 0);
        checkBlas(cublas.cublasLtMatmulPreferenceSetAttribute(preference,
                cublas.CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, new LongPointer(new long[] {WORKSPACE_BYTES}),
                Long.BYTES), "setting cuBLASLt's workspace size");
        checkBlas(cublas.cublasLtMatmulPreferenceSetAttribute(preference,
                cublas.CUBLASLT_MATMUL_PREF_REDUCTION_SCHEME_MASK,
                new IntPointer(new int[] {cublas.CUBLASLT_REDUCTION_SCHEME_NONE}), Integer.BYTES),
                "asking cuBLASLt for algorithms without split-K reductions");
    }

    /**
     * {@code out = x · weightᵀ}: x {@code [numTokens, inFeatures]} bf16, weight {@code [outFeatures, inFeatures]}
     * bf16, out {@code [numTokens, outFeatures]} of {@code outType} (float32 or bf16); float32 accumulation.
     */
    void matmul(long x, long weight, long out, int numTokens, int inFeatures, int outFeatures, DType outType) {
        run(new Shape(numTokens, outFeatures, inFeatures, outType), x, weight, out);
    }

    /**
     * {@code out += x · weightᵀ}, out float32 {@code [numTokens, outFeatures]}: the product added in the GEMM's
     * epilogue (beta = 1, C = D = out). Each value is the float32 sum {@code out + product} that adding the
     * product afterwards would form (alpha and beta are 1, so the epilogue rounds once, as that add does), with
     * the same algorithm and accumulation as {@link #matmul}; only the product's trip through memory is saved.
     */
    void matmulAdd(long x, long weight, long out, int numTokens, int inFeatures, int outFeatures) {
        Shape shape = new Shape(numTokens, outFeatures, inFeatures, DType.F32);
        Plan plan = plan(shape);
        launch(plan, plan.algorithm(), shape, x, weight, out, one);
    }

    /** {@code out = x · weightᵀ} with the plan of {@code shape}. */
    void run(Shape shape, long x, long weight, long out) {
        Plan plan = plan(shape);
        launch(plan, plan.algorithm(), shape, x, weight, out, zero);
    }

    /**
     * As {@link #run} but with the algorithm {@code algorithmOf}'s plan chose (same n, k and output): for
     * {@code GemmInvarianceBenchmark}, which compares one algorithm for every row count with one per row count.
     * Returns false where that algorithm does not support {@code shape}.
     */
    boolean runWithAlgorithmOf(Shape algorithmOf, Shape shape, long x, long weight, long out) {
        Plan plan = plan(shape);
        cublasLtMatmulAlgo_t algorithm = plan(algorithmOf).algorithm();
        cublasLtMatmulHeuristicResult_t checked = new cublasLtMatmulHeuristicResult_t(1);
        try {
            if (cublas.cublasLtMatmulAlgoCheck(handle, plan.desc, plan.a, plan.b, plan.d, plan.d, algorithm,
                    checked) != cublas.CUBLAS_STATUS_SUCCESS || checked.workspaceSize() > WORKSPACE_BYTES) {
                return false;
            }
        } finally {
            checked.close();
        }
        launch(plan, algorithm, shape, x, weight, out, zero);
        return true;
    }

    /** The chosen algorithm's configuration, as cuBLASLt numbers it (for benchmarks and notes). */
    String describe(Shape shape) {
        cublasLtMatmulAlgo_t algorithm = plan(shape).algorithm();
        return "algo " + config(algorithm, cublas.CUBLASLT_ALGO_CONFIG_ID) + " tile "
                + config(algorithm, cublas.CUBLASLT_ALGO_CONFIG_TILE_ID) + " stages "
                + config(algorithm, cublas.CUBLASLT_ALGO_CONFIG_STAGES_ID) + " cluster "
                + config(algorithm, cublas.CUBLASLT_ALGO_CONFIG_CLUSTER_SHAPE_ID) + " splitK "
                + config(algorithm, cublas.CUBLASLT_ALGO_CONFIG_SPLITK_NUM) + " reduction "
                + config(algorithm, cublas.CUBLASLT_ALGO_CONFIG_REDUCTION_SCHEME);
    }

    /** An attribute of 2 or 4 bytes (cuBLASLt's sizes differ by attribute; asked first with no buffer). */
    private static long config(cublasLtMatmulAlgo_t algorithm, int attribute) {
        LongPointer value = new LongPointer(1);
        SizeTPointer written = new SizeTPointer(1);
        try {
            value.put(0L);
            checkBlas(cublas.cublasLtMatmulAlgoConfigGetAttribute(algorithm, attribute, null, 0, written),
                    "cublasLtMatmulAlgoConfigGetAttribute " + attribute + " (its size)");
            long size = written.get();
            checkBlas(cublas.cublasLtMatmulAlgoConfigGetAttribute(algorithm, attribute, value, size, written),
                    "cublasLtMatmulAlgoConfigGetAttribute " + attribute);
            return value.get() & (size >= 8 ? -1L : (1L << (8 * size)) - 1);
        } finally {
            value.close();
            written.close();
        }
    }

    /** {@code out = x · weightᵀ + beta · out}: beta 0 or 1 (C and D are both {@code out}, in place). */
    private void launch(Plan plan, cublasLtMatmulAlgo_t algorithm, Shape shape, long x, long weight, long out,
                        FloatPointer beta) {
        Address d = new Address(out);
        checkBlas(cublas.cublasLtMatmul(handle, plan.desc, one, new Address(weight), plan.a,
                new Address(x), plan.b, beta, d, plan.d, d, plan.d, algorithm,
                new Address(workspace.address()), WORKSPACE_BYTES, stream), "cublasLtMatmul " + shape);
    }

    private Plan plan(Shape shape) {
        Plan plan = plans.get(shape);
        if (plan != null) {
            return plan;
        }
        plan = new Plan(shape);
        int[] returned = new int[1];
        int status = cublas.cublasLtMatmulAlgoGetHeuristic(handle, plan.desc, plan.a, plan.b, plan.d, plan.d,
                preference, 1, plan.heuristic, returned);
        if (status == cublas.CUBLAS_STATUS_NOT_SUPPORTED || (status == 0 && returned[0] == 0)) {
            plan.close();
            throw new FloodException("cuBLASLt has no bf16 algorithm without a split-K reduction for " + shape
                    + " on " + device.name());
        }
        checkBlas(status, "cublasLtMatmulAlgoGetHeuristic " + shape);
        plans.put(shape, plan);
        if (plans.size() > MAX_PLANS) {
            var eldest = plans.entrySet().iterator();
            eldest.next().getValue().close();
            eldest.remove();
        }
        return plan;
    }

    /** The descriptors of one shape and the algorithm cuBLASLt's heuristic picked for them. */
    private static final class Plan implements AutoCloseable {
        final cublasLtMatmulDescOpaque_t desc;
        final cublasLtMatrixLayoutOpaque_t a;
        final cublasLtMatrixLayoutOpaque_t b;
        final cublasLtMatrixLayoutOpaque_t d;
        final cublasLtMatmulHeuristicResult_t heuristic = new cublasLtMatmulHeuristicResult_t(1);

        Plan(Shape shape) {
            PointerPointer<cublasLtMatmulDescOpaque_t> created = new PointerPointer<>(1);
            checkBlas(cublas.cublasLtMatmulDescCreate(created, cublas.CUBLAS_COMPUTE_32F, cudart.CUDA_R_32F),
                    "cublasLtMatmulDescCreate");
            desc = created.get(cublasLtMatmulDescOpaque_t.class, 0);
            checkBlas(cublas.cublasLtMatmulDescSetAttribute(desc, cublas.CUBLASLT_MATMUL_DESC_TRANSA,
                    new IntPointer(new int[] {cublas.CUBLAS_OP_T}), Integer.BYTES), "setting TRANSA");
            // A = the weight, stored [n, k] row-major = [k, n] column-major; B = the activations, [k, m].
            a = layout(cudart.CUDA_R_16BF, shape.k(), shape.n(), shape.k());
            b = layout(cudart.CUDA_R_16BF, shape.k(), shape.m(), shape.k());
            d = layout(shape.out() == DType.F32 ? cudart.CUDA_R_32F : cudart.CUDA_R_16BF, shape.n(), shape.m(),
                    shape.n());
        }

        cublasLtMatmulAlgo_t algorithm() {
            return heuristic.algo();
        }

        private static cublasLtMatrixLayoutOpaque_t layout(int type, long rows, long cols, long leadingDimension) {
            PointerPointer<cublasLtMatrixLayoutOpaque_t> created = new PointerPointer<>(1);
            checkBlas(cublas.cublasLtMatrixLayoutCreate(created, type, rows, cols, leadingDimension),
                    "cublasLtMatrixLayoutCreate");
            return created.get(cublasLtMatrixLayoutOpaque_t.class, 0);
        }

        @Override
        public void close() {
            checkBlas(cublas.cublasLtMatrixLayoutDestroy(a), "cublasLtMatrixLayoutDestroy");
            checkBlas(cublas.cublasLtMatrixLayoutDestroy(b), "cublasLtMatrixLayoutDestroy");
            checkBlas(cublas.cublasLtMatrixLayoutDestroy(d), "cublasLtMatrixLayoutDestroy");
            checkBlas(cublas.cublasLtMatmulDescDestroy(desc), "cublasLtMatmulDescDestroy");
            heuristic.close();
        }
    }

    static String statusName(int status) {
        BytePointer name = cublas.cublasGetStatusName(status);
        return name == null ? "status " + status : name.getString();
    }

    @Override
    public void close() {
        plans.values().forEach(Plan::close);
        plans.clear();
        checkBlas(cublas.cublasLtMatmulPreferenceDestroy(preference), "cublasLtMatmulPreferenceDestroy");
        checkBlas(cublas.cublasLtDestroy(handle), "cublasLtDestroy");
        device.free(workspace);
        one.close();
        zero.close();
    }
}
