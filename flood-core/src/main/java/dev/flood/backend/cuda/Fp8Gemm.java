package dev.flood.backend.cuda;

import static dev.flood.backend.cuda.CudaErrors.checkBlas;

import dev.flood.api.FloodException;
import dev.flood.weights.DType;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.bytedeco.cuda.cublas.cublasLtContext;
import org.bytedeco.cuda.cublas.cublasLtMatmulDescOpaque_t;
import org.bytedeco.cuda.cublas.cublasLtMatmulHeuristicResult_t;
import org.bytedeco.cuda.cublas.cublasLtMatmulPreferenceOpaque_t;
import org.bytedeco.cuda.cublas.cublasLtMatrixLayoutOpaque_t;
import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.cuda.global.cublas;
import org.bytedeco.cuda.global.cudart;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.PointerPointer;

/**
 * FP8 products through cuBLASLt: {@code out [m, n] = x [m, k] · W [n, k]ᵀ} with E4M3 operands, float32 accumulation
 * (cuBLASLt's default, not its fast accumulation) and per-operand scales applied in the epilogue:
 * <ul>
 *   <li>{@link Fp8Weight.Layout#PER_CHANNEL}: outer-vector scaling, a scale per weight row and per activation row;
 *   <li>{@link Fp8Weight.Layout#BLOCK_128}: the weight's 128 x 128 block scales, the activations' per row and
 *       128-column group (group-major).
 * </ul>
 * Row-major operands are column-major transposes, so this is the column-major {@code outᵀ [n, m] = W (op T) · xᵀ}:
 * cuBLASLt's A is the weight (its scales the A scales), B the activations. The output is float32 where cuBLASLt has
 * an algorithm for it, else bf16 (the caller widens); {@link #outputType} says which.
 *
 * <p>One plan (descriptors and the heuristic's algorithm) per shape, kept for the shapes seen most recently;
 * scale pointers are set on the plan before each launch. On the backend's stream; one thread.
 */
final class Fp8Gemm implements AutoCloseable {

    /** cuBLASLt's workspace: 32 MiB, what its Hopper kernels want. */
    private static final long WORKSPACE_BYTES = 32L << 20;
    private static final int MAX_PLANS = 256;
    /** Row counts tried, in order, for a block-scaled shape cuBLASLt has no algorithm for ({@link #rowsToRun}). */
    private static final int[] ROW_MULTIPLES = {16, 128};

    /** A product's shape: {@code m} activation rows (tokens), {@code n} weight rows, {@code k} the inner size. */
    record Shape(int m, int n, int k, Fp8Weight.Layout layout) {
    }

    /** Device addresses of one product's operands. */
    record Operands(long weightCodes, long weightScales, long activationCodes, long activationScales, long out) {
    }

    private final CudaDevice device;
    private final cublasLtContext handle = new cublasLtContext();
    private final CUstream_st stream;
    private final DeviceAllocation workspace;
    private final cublasLtMatmulPreferenceOpaque_t preference;
    private final FloatPointer one = new FloatPointer(1f);
    private final FloatPointer zero = new FloatPointer(0f);
    private final Map<Shape, Plan> plans = new LinkedHashMap<>(16, 0.75f, true);
    private final Map<Shape, Integer> rowsToRun = new HashMap<>();
    private final Set<Shape> refusesAdding = new HashSet<>();

    Fp8Gemm(CudaDevice device) {
        this.device = device;
        checkBlas(cublas.cublasLtCreate(handle), "cublasLtCreate");
        this.stream = new CUstream_st(new Blas.Address(device.stream().address()));
        this.workspace = device.allocate(WORKSPACE_BYTES, "the cuBLASLt workspace");
        PointerPointer<cublasLtMatmulPreferenceOpaque_t> created = new PointerPointer<>(1);
        checkBlas(cublas.cublasLtMatmulPreferenceCreate(created), "cublasLtMatmulPreferenceCreate");
        this.preference = created.get(cublasLtMatmulPreferenceOpaque_t.class, 0);
        checkBlas(cublas.cublasLtMatmulPreferenceSetAttribute(preference,
                cublas.CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, new LongPointer(new long[] {WORKSPACE_BYTES}),
                Long.BYTES), "setting cuBLASLt's workspace size");
    }

    /** What {@link #run} writes for this shape: float32, or bf16 where cuBLASLt has no float32 algorithm. */
    DType outputType(Shape shape, Operands operands) {
        return plan(shape, operands).out;
    }

    void run(Shape shape, Operands operands) {
        checkBlas(launch(shape, operands, zero), "cublasLtMatmul FP8 " + shape);
    }

    /**
     * {@code out += product} in the epilogue (beta = 1, C = D = out), where this shape's plan writes float32;
     * false, with nothing launched, where it writes bf16 or cuBLASLt refuses beta = 1 for it (the caller then
     * stages the product). The sum is the one float32 rounding a separate add would make.
     */
    boolean runAdding(Shape shape, Operands operands) {
        if (plan(shape, operands).out != DType.F32 || refusesAdding.contains(shape)) {
            return false;
        }
        int status = launch(shape, operands, one);
        if (status == cublas.CUBLAS_STATUS_NOT_SUPPORTED) {
            refusesAdding.add(shape);
            return false;
        }
        checkBlas(status, "cublasLtMatmul FP8 (adding) " + shape);
        return true;
    }

    private int launch(Shape shape, Operands operands, FloatPointer beta) {
        Plan plan = plan(shape, operands);
        plan.pointScales(operands);
        Blas.Address out = new Blas.Address(operands.out());
        return cublas.cublasLtMatmul(handle, plan.desc, one, new Blas.Address(operands.weightCodes()), plan.a,
                new Blas.Address(operands.activationCodes()), plan.b, beta, out, plan.d, out, plan.d,
                plan.heuristic.algo(), new Blas.Address(workspace.address()), WORKSPACE_BYTES, stream);
    }

    /**
     * The activation rows a product of {@code shape} runs with: {@code m} itself, or {@code m} rounded up to a
     * multiple of 16 or 128 where cuBLASLt has no algorithm for {@code m} (on an H200 with cuBLAS 13.1 its
     * block-scaled products had none for 1, 19, 111 or 209 rows, and had for 4,096); the caller then pads the
     * activations with zero rows and keeps the first {@code m} rows of the output.
     */
    int rowsToRun(Shape shape, Operands operands) {
        Integer known = rowsToRun.get(shape);
        if (known != null) {
            return known;
        }
        int rows = -1;
        if (tryPlan(shape, operands) != null) {
            rows = shape.m();
        } else if (shape.layout() == Fp8Weight.Layout.BLOCK_128) {
            for (int multiple : ROW_MULTIPLES) {
                int padded = (shape.m() + multiple - 1) / multiple * multiple;
                if (tryPlan(new Shape(padded, shape.n(), shape.k(), shape.layout()), operands) != null) {
                    rows = padded;
                    break;
                }
            }
        }
        if (rows < 0) {
            throw noAlgorithm(shape);
        }
        if (rowsToRun.size() > MAX_PLANS * 64) {
            rowsToRun.clear();
        }
        rowsToRun.put(shape, rows);
        return rows;
    }

    private Plan plan(Shape shape, Operands operands) {
        Plan plan = tryPlan(shape, operands);
        if (plan == null) {
            throw noAlgorithm(shape);
        }
        return plan;
    }

    private FloodException noAlgorithm(Shape shape) {
        return new FloodException("cuBLASLt has no FP8 algorithm for " + shape + " on " + device.name()
                + " (float32 or bf16 output, rows padded to 16 or 128 too); use quantization none");
    }

    /** The plan of {@code shape}, made on first use; null where cuBLASLt has no algorithm for it. */
    private Plan tryPlan(Shape shape, Operands operands) {
        Plan plan = plans.get(shape);
        if (plan != null) {
            return plan;
        }
        plan = Plan.create(this, shape, operands, DType.F32);
        if (plan == null) {
            plan = Plan.create(this, shape, operands, DType.BF16);
        }
        if (plan == null) {
            return null;
        }
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
        final DType out;

        private Plan(Shape shape, DType out) {
            this.out = out;
            PointerPointer<cublasLtMatmulDescOpaque_t> created = new PointerPointer<>(1);
            checkBlas(cublas.cublasLtMatmulDescCreate(created, cublas.CUBLAS_COMPUTE_32F, cudart.CUDA_R_32F),
                    "cublasLtMatmulDescCreate");
            desc = created.get(cublasLtMatmulDescOpaque_t.class, 0);
            setInt(cublas.CUBLASLT_MATMUL_DESC_TRANSA, cublas.CUBLAS_OP_T);
            setInt(cublas.CUBLASLT_MATMUL_DESC_TRANSB, cublas.CUBLAS_OP_N);
            boolean blocks = shape.layout() == Fp8Weight.Layout.BLOCK_128;
            setInt(cublas.CUBLASLT_MATMUL_DESC_A_SCALE_MODE, blocks ? cublas.CUBLASLT_MATMUL_MATRIX_SCALE_BLK128x128_32F
                    : cublas.CUBLASLT_MATMUL_MATRIX_SCALE_OUTER_VEC_32F);
            setInt(cublas.CUBLASLT_MATMUL_DESC_B_SCALE_MODE, blocks ? cublas.CUBLASLT_MATMUL_MATRIX_SCALE_VEC128_32F
                    : cublas.CUBLASLT_MATMUL_MATRIX_SCALE_OUTER_VEC_32F);
            // A = the weight, stored [n, k] row-major = [k, n] column-major; B = the activations, [k, m].
            a = layout(cudart.CUDA_R_8F_E4M3, shape.k(), shape.n(), shape.k());
            b = layout(cudart.CUDA_R_8F_E4M3, shape.k(), shape.m(), shape.k());
            d = layout(out == DType.F32 ? cudart.CUDA_R_32F : cudart.CUDA_R_16BF, shape.n(), shape.m(), shape.n());
        }

        /** The plan for {@code out}, or null when cuBLASLt has no algorithm for it. */
        static Plan create(Fp8Gemm gemm, Shape shape, Operands operands, DType out) {
            Plan plan = new Plan(shape, out);
            plan.pointScales(operands);
            int[] returned = new int[1];
            int status = cublas.cublasLtMatmulAlgoGetHeuristic(gemm.handle, plan.desc, plan.a, plan.b, plan.d, plan.d,
                    gemm.preference, 1, plan.heuristic, returned);
            if (status == cublas.CUBLAS_STATUS_NOT_SUPPORTED || (status == 0 && returned[0] == 0)) {
                plan.close();
                return null;
            }
            checkBlas(status, "cublasLtMatmulAlgoGetHeuristic FP8 " + shape);
            return plan;
        }

        void pointScales(Operands operands) {
            setPointer(cublas.CUBLASLT_MATMUL_DESC_A_SCALE_POINTER, operands.weightScales());
            setPointer(cublas.CUBLASLT_MATMUL_DESC_B_SCALE_POINTER, operands.activationScales());
        }

        private void setInt(int attribute, int value) {
            checkBlas(cublas.cublasLtMatmulDescSetAttribute(desc, attribute, new IntPointer(new int[] {value}),
                    Integer.BYTES), "cublasLtMatmulDescSetAttribute " + attribute);
        }

        private void setPointer(int attribute, long address) {
            checkBlas(cublas.cublasLtMatmulDescSetAttribute(desc, attribute, new LongPointer(new long[] {address}),
                    Long.BYTES), "cublasLtMatmulDescSetAttribute " + attribute);
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
