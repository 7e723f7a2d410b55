/**
 * Internal: the {@code output_schema} option (a Spark DDL or JSON schema) as the JSON schema decoding is held to,
 * the Spark type of the column, and the generated JSON read as values of that type. Not a public API.
 */
package dev.flood.spark.typed;
