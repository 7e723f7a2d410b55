package dev.flood.backend;

import dev.flood.api.FloodException;

/**
 * A device's context is lost to a sticky fault (an illegal address, a failed launch, an uncorrectable ECC error):
 * CUDA refuses every later call in this process, even after the context is destroyed or reset, so no backend can
 * be reopened on the device. A running engine fails its requests with this message instead of restarting, and
 * every later request with it too; only a new process (a Spark executor or Flink TaskManager restarted by its
 * cluster) gets the device back.
 */
public class DeviceLostException extends FloodException {

    public DeviceLostException(String message) {
        super(message);
    }
}
