package dev.flood.backend.cuda;

import dev.flood.backend.Handoff;
import dev.flood.backend.Tensor;
import java.util.ArrayList;
import java.util.List;

/**
 * Activations from one CUDA pipeline stage to the next. The sender records an event on its stream after the
 * kernels that wrote the tensors ({@link #send}); the receiver makes its own stream wait for that event and
 * copies the tensors into its step's workspace ({@link #receive}), on its stream: a device-to-device copy when
 * both stages share a GPU, a peer copy ({@code cuMemcpyPeerAsync}, direct over NVLink or PCIe where peer access
 * is possible) across GPUs. So the receiver reads only after the copy, and the sender's host never waits.
 *
 * <p>The sender's tensors stay valid until the copy ran: its step slot is reused only after the engine collected
 * the step, which is after the last stage finished it, which waited for this copy.
 */
final class ActivationLink {

    /** What a CUDA stage hands on: its tensors, its device, and the event after their writes. */
    record Sent(CudaDevice device, List<Tensor> tensors, DeviceEvent written) implements Handoff {
    }

    private ActivationLink() {
    }

    /** The tensors of the current step of {@code slot}, marked written on {@code device}'s stream now. */
    static Sent send(CudaDevice device, List<Tensor> tensors, StepSlot slot) {
        for (Tensor tensor : tensors) {
            if (CudaTensor.of(tensor).dtype() == null) {
                throw new IllegalArgumentException("handOff of a tensor nothing has written: " + tensor);
            }
        }
        return new Sent(device, List.copyOf(tensors), slot.recordHandoff());
    }

    /** Copies of the sent tensors in {@code receiver}'s step, same shapes and element types, in its stream order. */
    static List<Tensor> receive(Handoff handoff, CudaDevice device, CudaBackend receiver) {
        if (!(handoff instanceof Sent sent)) {
            throw new IllegalArgumentException("not a CUDA handoff: " + handoff);
        }
        device.enablePeerAccess(sent.device());
        device.waitFor(sent.written().handle());
        List<Tensor> received = new ArrayList<>();
        for (Tensor tensor : sent.tensors()) {
            CudaTensor source = CudaTensor.of(tensor);
            CudaTensor copy = CudaTensor.of(receiver.allocate(source.rows(), source.cols()));
            device.copyFromAsync(copy.memory(), sent.device(), source.memory(),
                    (long) source.rows() * source.cols() * source.dtype().bytes());
            received.add(copy.written(source.dtype()));
        }
        return received;
    }
}
