package dev.flood.backend.cuda;

import static dev.flood.backend.cuda.CudaErrors.check;
import static jcuda.driver.JCudaDriver.cuGraphDestroy;
import static jcuda.driver.JCudaDriver.cuGraphExecDestroy;
import static jcuda.driver.JCudaDriver.cuGraphGetNodes;
import static jcuda.driver.JCudaDriver.cuGraphInstantiate;
import static jcuda.driver.JCudaDriver.cuGraphLaunch;
import static jcuda.driver.JCudaDriver.cuStreamBeginCapture;
import static jcuda.driver.JCudaDriver.cuStreamEndCapture;

import dev.flood.api.EngineConfig.CudaGraphs;
import dev.flood.api.FloodException;
import dev.flood.backend.ForwardBatch;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;
import jcuda.driver.CUgraph;
import jcuda.driver.CUgraphExec;
import jcuda.driver.CUresult;
import jcuda.driver.CUstreamCaptureMode;
import org.bytedeco.cuda.cudart.CUgraphExecUpdateResultInfo_v1;
import org.bytedeco.cuda.cudart.CUgraphExec_st;
import org.bytedeco.cuda.cudart.CUgraph_st;
import org.bytedeco.cuda.global.cudart;

/**
 * Decode-only steps as CUDA graphs. The step's launches from {@link #begin} (the end of
 * {@link CudaBackend#beginStep}, once the step's metadata is uploaded) to {@link #finish} (the first call that
 * needs the forward pass's results: the outputs, a hand-off, the end of the step, or a read) are captured from the
 * backend's stream into a graph instead of being run, and the graph is then launched as one unit, so the GPU runs
 * the step's few hundred kernels back to back without the gaps between separately launched kernels.
 *
 * <p>Each step is captured afresh, so every kernel keeps the arguments and grid it has eagerly (the step's own
 * metadata, attention plan and partials wherever the workspace put them, attention grids sized for the step's
 * work items): results are bit for bit those of the eager step, and no row is padded. What is reused is the
 * instantiated graph, the expensive part: one per {@link GraphKey} (row count and node count), made on
 * the first capture of its key and updated in place ({@code cuGraphExecUpdate}) from every later one, which only
 * rewrites the nodes' arguments. At most {@link #MAX_GRAPHS} are kept ({@link GraphExecCache}), which bounds their
 * memory. The first decode step of each row count runs eagerly, so lazily loaded kernels and cuBLAS's first use of
 * a shape are done before any capture.
 *
 * <p>What a captured step must not do (none of the backend's forward ops does): synchronize, wait on an event of
 * another stream, read device memory on the host, or free memory. Copies from pinned staging are captured and
 * read the staging buffer when the graph runs; {@link PinnedStaging} keeps outgrown buffers until the slot's next
 * step. Capture runs in relaxed mode, so a workspace that grows mid-step may still allocate. Steps with prefill
 * chunks, stages that receive activations, two stages sharing a GPU, synchronous launch checking and the
 * profiler's per-op events all stay eager ({@link CudaBackend#open(dev.flood.api.EngineConfig, int)}).
 *
 * <p>Should a capture fail once begun, that step fails (its work was recorded, not run) and graphs are off for the
 * rest of the backend's life, with the reason in the error.
 *
 * <p>Threads: only the thread running steps, and {@link #close} once it has stopped.
 */
final class DecodeGraphs implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(DecodeGraphs.class.getName());

    /** Most instantiated graphs kept. */
    static final int MAX_GRAPHS = 32;

    /** A captured graph whose raw handle JavaCPP's {@code cuGraphExecUpdate} can take (JCuda 12 lacks it). */
    private static final class Graph extends CUgraph {
        long address() {
            return getNativePointer();
        }
    }

    /** An instantiated graph, likewise. */
    private static final class Exec extends CUgraphExec {
        long address() {
            return getNativePointer();
        }
    }

    /**
     * What graphs have done so far: decode steps launched as graphs, graphs instantiated, instantiated graphs
     * updated from a new capture, and decode steps run eagerly as their row count's first.
     */
    record Stats(long graphSteps, long instantiated, long updated, long warmUpSteps) {
    }

    private final CudaDevice device;
    private final GraphExecCache<Exec> execs = new GraphExecCache<>(MAX_GRAPHS,
            exec -> check(cuGraphExecDestroy(exec), "cuGraphExecDestroy"));
    private final Set<Integer> warmRowCounts = new HashSet<>();
    private boolean enabled;
    private boolean capturing;
    private int capturedRows;
    private long graphSteps;
    private long instantiated;
    private long updated;
    private long warmUpSteps;

    DecodeGraphs(CudaDevice device, CudaGraphs mode) {
        this.device = device;
        this.enabled = mode == CudaGraphs.ON;
    }

    /**
     * Starts capturing the step of {@code batch} if it is decode-only and not its row count's first. Should the
     * capture not start, the step runs eagerly and so do all later ones (logged once).
     */
    void begin(ForwardBatch batch) {
        if (!enabled || capturing || !GraphKey.isDecodeOnly(batch)) {
            return;
        }
        if (warmRowCounts.add(batch.numTokens())) {
            warmUpSteps++;
            return;
        }
        int status = cuStreamBeginCapture(device.stream(), CUstreamCaptureMode.CU_STREAM_CAPTURE_MODE_RELAXED);
        if (status != CUresult.CUDA_SUCCESS) {
            enabled = false;
            LOG.log(System.Logger.Level.WARNING, () -> "flood: " + device.name() + ": CUDA error "
                    + CUresult.stringFor(status) + " starting to capture a decode step; steps run without CUDA graphs");
            return;
        }
        capturing = true;
        capturedRows = batch.numTokens();
    }

    /** Ends the capture begun by {@link #begin}, if any, and launches what it captured; else does nothing. */
    void finish() {
        if (!capturing) {
            return;
        }
        capturing = false;
        Graph graph = new Graph();
        int ended = cuStreamEndCapture(device.stream(), graph);
        if (ended != CUresult.CUDA_SUCCESS) {
            enabled = false;
            throw new FloodException("CUDA error " + CUresult.stringFor(ended) + " ending the capture of a decode step"
                    + " of " + capturedRows + " rows as a CUDA graph: the step did not run and its requests fail;"
                    + " later steps run without graphs (--cuda-graphs off runs without them from the start)");
        }
        try {
            launch(graph);
        } catch (RuntimeException e) {
            enabled = false;
            throw e;
        } finally {
            check(cuGraphDestroy(graph), "cuGraphDestroy");
        }
    }

    private void launch(Graph graph) {
        long[] numNodes = new long[1];
        check(cuGraphGetNodes(graph, null, numNodes), "cuGraphGetNodes");
        if (numNodes[0] == 0) {
            return;
        }
        GraphKey key = new GraphKey(capturedRows, numNodes[0]);
        Exec exec = execs.get(key);
        if (exec == null || !update(exec, graph)) {
            exec = new Exec();
            check(cuGraphInstantiate(exec, graph, 0), "cuGraphInstantiate of a decode step of " + capturedRows
                    + " rows (" + numNodes[0] + " nodes)");
            execs.put(key, exec);
            instantiated++;
        }
        check(cuGraphLaunch(exec, device.stream()), "cuGraphLaunch");
        graphSteps++;
    }

    /**
     * Points {@code exec} at {@code graph}'s arguments; false when it cannot be (the topologies differ, or a node
     * changed in a way an update cannot follow), and then {@code exec} is left as it was and is replaced. An
     * error left by an earlier asynchronous launch also reads as false here; instantiating the replacement then
     * fails with its name. Launches of {@code exec} already queued keep the arguments they were launched with.
     */
    private boolean update(Exec exec, Graph graph) {
        try (CUgraphExecUpdateResultInfo_v1 info = new CUgraphExecUpdateResultInfo_v1()) {
            int status = cudart.cuGraphExecUpdate(new CUgraphExec_st(new Blas.Address(exec.address())),
                    new CUgraph_st(new Blas.Address(graph.address())), info);
            if (status != CUresult.CUDA_SUCCESS) {
                return false;
            }
            updated++;
            return true;
        }
    }

    Stats stats() {
        return new Stats(graphSteps, instantiated, updated, warmUpSteps);
    }

    /**
     * Ends a capture left open (discarding it) and destroys the instantiated graphs; logs what graphs did, so a run
     * shows whether its decode steps ran as graphs.
     */
    @Override
    public void close() {
        if (graphSteps + warmUpSteps > 0) {
            LOG.log(System.Logger.Level.INFO, () -> String.format(Locale.ROOT, "flood: %s: %,d decode steps ran as"
                    + " CUDA graphs (%,d graphs instantiated, %,d updated in place), %,d eagerly as their row count's"
                    + " first%s", device.name(), graphSteps, instantiated, updated, warmUpSteps,
                    enabled ? "" : "; graphs were turned off after a failed capture"));
        }
        if (capturing) {
            capturing = false;
            Graph graph = new Graph();
            if (cuStreamEndCapture(device.stream(), graph) == CUresult.CUDA_SUCCESS) {
                check(cuGraphDestroy(graph), "cuGraphDestroy");
            }
        }
        execs.close();
    }
}
