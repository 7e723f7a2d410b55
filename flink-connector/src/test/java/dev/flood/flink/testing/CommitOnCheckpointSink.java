package dev.flood.flink.testing;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.flink.api.connector.sink2.Committer;
import org.apache.flink.api.connector.sink2.CommitterInitContext;
import org.apache.flink.api.connector.sink2.CommittingSinkWriter;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SupportsCommitter;
import org.apache.flink.api.connector.sink2.WriterInitContext;
import org.apache.flink.core.io.SimpleVersionedSerializer;

/**
 * A two-phase-commit sink for tests: the writer keeps what it receives between checkpoints and hands it over as a
 * batch at each checkpoint; the committer makes a batch visible only once its checkpoint completes. Records
 * written after the last completed checkpoint vanish with a failure, and a batch committed twice (re-committed
 * after a restore) is kept once, keyed by its id: what {@link #committed} returns is what an exactly-once sink
 * would show.
 */
public final class CommitOnCheckpointSink<T extends Serializable> implements Sink<T>, SupportsCommitter<CommitOnCheckpointSink.Batch<T>> {

    /** Committed batches by id, per sink name. */
    private static final Map<String, Map<String, List<?>>> COMMITTED = new ConcurrentHashMap<>();

    /** Records one writer received between two checkpoints. */
    public record Batch<T>(String id, ArrayList<T> records) implements Serializable {
    }

    private final String name;

    public CommitOnCheckpointSink(String name) {
        this.name = name;
        COMMITTED.remove(name);
    }

    /** Every record of every committed batch, in no particular order. */
    @SuppressWarnings("unchecked")
    public static <T> List<T> committed(String name) {
        List<T> all = new ArrayList<>();
        COMMITTED.getOrDefault(name, Map.of()).values().forEach(records -> all.addAll((List<T>) records));
        return all;
    }

    @Override
    public CommittingSinkWriter<T, Batch<T>> createWriter(WriterInitContext context) {
        return new CommittingSinkWriter<>() {
            private final ArrayList<T> pending = new ArrayList<>();

            @Override
            public void write(T element, Context elementContext) {
                pending.add(element);
            }

            @Override
            public void flush(boolean endOfInput) {
            }

            @Override
            public Collection<Batch<T>> prepareCommit() {
                if (pending.isEmpty()) {
                    return List.of();
                }
                Batch<T> batch = new Batch<>(UUID.randomUUID().toString(), new ArrayList<>(pending));
                pending.clear();
                return List.of(batch);
            }

            @Override
            public void close() {
            }
        };
    }

    @Override
    public Committer<Batch<T>> createCommitter(CommitterInitContext context) {
        String sinkName = name;
        return new Committer<>() {
            @Override
            public void commit(Collection<CommitRequest<Batch<T>>> requests) {
                Map<String, List<?>> batches = COMMITTED.computeIfAbsent(sinkName, n -> new ConcurrentHashMap<>());
                for (CommitRequest<Batch<T>> request : requests) {
                    Batch<T> batch = request.getCommittable();
                    batches.putIfAbsent(batch.id(), List.copyOf(batch.records()));
                }
            }

            @Override
            public void close() {
            }
        };
    }

    @Override
    public SimpleVersionedSerializer<Batch<T>> getCommittableSerializer() {
        return new SimpleVersionedSerializer<>() {
            @Override
            public int getVersion() {
                return 1;
            }

            @Override
            public byte[] serialize(Batch<T> batch) throws IOException {
                ByteArrayOutputStream bytes = new ByteArrayOutputStream();
                try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
                    out.writeObject(batch);
                }
                return bytes.toByteArray();
            }

            @Override
            @SuppressWarnings("unchecked")
            public Batch<T> deserialize(int version, byte[] serialized) throws IOException {
                try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(serialized))) {
                    return (Batch<T>) in.readObject();
                } catch (ClassNotFoundException e) {
                    throw new IOException(e);
                }
            }
        };
    }
}
