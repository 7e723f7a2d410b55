package dev.flood.spark.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.text.ParseException;
import java.util.stream.Stream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import dev.flood.testing.Jvms;
import org.apache.ivy.core.module.descriptor.DependencyDescriptor;
import org.apache.ivy.core.module.id.ModuleRevisionId;
import org.apache.ivy.core.resolve.ResolveData;
import org.apache.ivy.core.resolve.ResolvedModuleRevision;
import org.apache.ivy.core.settings.IvySettings;
import org.apache.ivy.plugins.matcher.ExactPatternMatcher;
import org.apache.ivy.plugins.resolver.ChainResolver;
import org.apache.ivy.plugins.resolver.IBiblioResolver;
import org.apache.spark.util.MavenUtils;
import org.junit.jupiter.api.Test;
import scala.Option;
import scala.jdk.javaapi.CollectionConverters;

/**
 * {@code spark-submit --packages dev.flood:flood-spark:<version>} resolves: Spark's own Ivy resolution
 * ({@code MavenUtils.resolveMavenCoordinates}, what --packages runs) over this build's POMs and jars, published to
 * a file repository as a release would publish them, with every other artifact from the local Maven repository
 * and then Maven Central, as Spark's own resolver chain looks (Ivy mediates versions differently from Maven, so
 * it asks for POMs this build never downloaded, such as the BOMs jinjava's parent imports). jcuda's own POM names its natives with a classifier that OS-activated profiles
 * compute, which Ivy cannot evaluate; flood-core excludes it and names the linux-x86_64 natives itself.
 */
class PackagesResolutionIT {

    private static final Path WORK = Path.of("target", "packages-it").toAbsolutePath();
    private static final String VERSION = System.getProperty("flood.version");

    @Test
    void packagesResolvesFloodSparkAndItsDependencies() throws IOException {
        Path repository = publish();
        IvySettings settings = new IvySettings();
        settings.setDefaultIvyUserDir(WORK.resolve("ivy").toFile());
        settings.setDefaultCache(WORK.resolve("ivy").resolve("cache").toFile());
        ChainResolver chain = new ChainResolver();
        chain.setName("chain");
        chain.add(mavenRepository("flood", repository.toUri()));
        chain.add(new LocalMavenRepository(Path.of(System.getProperty("flood.localRepository"))));
        chain.add(mavenRepository("central", URI.create("https://repo1.maven.org/maven2/")));
        settings.addResolver(chain);
        settings.setDefaultResolver(chain.getName());
        // dev.flood only from the file repository: the local Maven repository may hold older Flood snapshots
        IBiblioResolver flood = mavenRepository("flood-only", repository.toUri());
        settings.addResolver(flood);
        settings.addModuleConfiguration(Map.of("organisation", "dev.flood"), ExactPatternMatcher.INSTANCE,
                flood.getName(), null, null, null);

        List<String> jars = CollectionConverters.asJava(MavenUtils.resolveMavenCoordinates(
                "dev.flood:flood-spark:" + VERSION, settings, Option.empty(), true,
                CollectionConverters.asScala(List.<String>of()).toSeq(), false, System.out))
                .stream().map(path -> new File(path).getName()).sorted().toList();

        for (String expected : List.of("dev.flood_flood-spark-" + VERSION + ".jar",
                "dev.flood_flood-core-" + VERSION + ".jar", "dev.flood_flood-kernels-" + VERSION + ".jar",
                "org.jcuda_jcuda-12.6.0.jar", "org.jcuda_jcuda-natives-12.6.0-linux-x86_64.jar",
                "org.bytedeco_javacpp-1.5.13.jar", "org.bytedeco_javacpp-1.5.13-linux-x86_64.jar",
                "org.bytedeco_cuda-13.1-9.19-1.5.13.jar", "org.bytedeco_cuda-13.1-9.19-1.5.13-linux-x86_64.jar",
                "ai.djl.huggingface_tokenizers-0.38.0.jar")) {
            assertTrue(jars.contains(expected), expected + " in " + jars);
        }
        assertEquals(List.of(), jars.stream().filter(j -> j.startsWith("org.apache.spark_")
                || j.startsWith("org.scala-lang_") || j.contains("hadoop") || j.contains("parquet")).toList(),
                "Spark (provided) and the command line's Parquet and Hadoop (optional) stay out");
    }

    /** This build's POMs and jars in a Maven-layout file repository, as a release would publish them. */
    private static Path publish() throws IOException {
        Jvms.deleteRecursively(WORK);
        Path repository = WORK.resolve("repository");
        Path root = Path.of("..").toAbsolutePath().normalize();
        publish(repository, "flood-parent", root.resolve("pom.xml"), null);
        publish(repository, "flood-kernels", root.resolve("kernels/pom.xml"),
                root.resolve("kernels/target/flood-kernels-" + VERSION + ".jar"));
        publish(repository, "flood-core", root.resolve("flood-core/pom.xml"),
                root.resolve("flood-core/target/flood-core-" + VERSION + ".jar"));
        publish(repository, "flood-spark", root.resolve("spark-connector/pom.xml"),
                root.resolve("spark-connector/target/flood-spark-" + VERSION + ".jar"));
        return repository;
    }

    private static void publish(Path repository, String artifactId, Path pom, Path jar) throws IOException {
        Path folder = Files.createDirectories(repository.resolve("dev/flood").resolve(artifactId).resolve(VERSION));
        Files.copy(pom, folder.resolve(artifactId + "-" + VERSION + ".pom"));
        if (jar != null) {
            Files.copy(jar, folder.resolve(artifactId + "-" + VERSION + ".jar"));
        }
    }

    /**
     * The local Maven repository, where a module counts as present only with a jar of its version: Maven often
     * keeps a POM alone (a version it read but mediated away), and Ivy fetches a module's jars only from the
     * resolver that found its POM, so such a module must come from the next resolver instead.
     */
    private static final class LocalMavenRepository extends IBiblioResolver {
        private final Path root;

        LocalMavenRepository(Path root) {
            this.root = root;
            setName("local-m2");
            setM2compatible(true);
            setUsepoms(true);
            setRoot(root.toUri().toString());
        }

        @Override
        public ResolvedModuleRevision getDependency(DependencyDescriptor dd, ResolveData data) throws ParseException {
            // decided before Ivy reads the POM: what it reads here is cached as this resolver's, jars included
            ModuleRevisionId id = dd.getDependencyRevisionId();
            Path folder = root.resolve(id.getOrganisation().replace('.', '/')).resolve(id.getName())
                    .resolve(id.getRevision());
            String prefix = id.getName() + "-" + id.getRevision();
            Path pom = folder.resolve(prefix + ".pom");
            try (Stream<Path> files = Files.list(folder)) {
                boolean jar = files.map(f -> f.getFileName().toString())
                        .anyMatch(f -> f.startsWith(prefix) && f.endsWith(".jar"));
                boolean pomOnly = Files.readString(pom).contains("<packaging>pom</packaging>");
                return jar || pomOnly ? super.getDependency(dd, data) : null;
            } catch (IOException e) {   // no such version here
                return super.getDependency(dd, data);
            }
        }
    }

    private static IBiblioResolver mavenRepository(String name, URI root) {
        IBiblioResolver resolver = new IBiblioResolver();
        resolver.setName(name);
        resolver.setM2compatible(true);
        resolver.setUsepoms(true);
        resolver.setRoot(root.toString());
        return resolver;
    }
}
