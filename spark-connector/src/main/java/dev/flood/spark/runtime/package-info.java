/**
 * Internal: what runs inside Spark tasks (the executor's engine registry, the partition runner that streams rows
 * through an engine, result conversion). Not a public API; it changes without notice.
 */
package dev.flood.spark.runtime;
