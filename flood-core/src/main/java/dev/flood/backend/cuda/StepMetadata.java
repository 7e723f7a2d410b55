package dev.flood.backend.cuda;

import dev.flood.backend.ForwardBatch;

/**
 * The device copies of one step's {@link ForwardBatch} arrays (int32 each), uploaded once by
 * {@link CudaBackend#beginStep}; every kernel of the step reads these addresses.
 */
record StepMetadata(ForwardBatch batch, long tokenIds, long positions, long slotMapping, long cuSeqlensQ,
                    long contextLens, long cuExtents, long extentStarts, long extentLengths, long logitRows) {

    static StepMetadata upload(ForwardBatch batch, PinnedStaging staging, Workspace workspace) {
        DeviceSlice[] s = staging.upload(workspace, batch.tokenIds(), batch.positions(), batch.slotMapping(),
                batch.cuSeqlensQ(), batch.contextLens(), batch.cuExtents(), batch.extentStarts(),
                batch.extentLengths(), batch.logitRows());
        return new StepMetadata(batch, s[0].address(), s[1].address(), s[2].address(), s[3].address(),
                s[4].address(), s[5].address(), s[6].address(), s[7].address(), s[8].address());
    }
}
