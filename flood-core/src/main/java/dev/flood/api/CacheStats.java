package dev.flood.api;

/**
 * The segment KV cache's occupancy, in token slots (one slot holds one token's keys and values for every layer).
 *
 * @param capacityTokens          slots in the slab
 * @param usedTokens              slots held by requests
 * @param freeTokens              slots free
 * @param largestFreeExtent       longest run of free slots
 * @param freeExtents             number of free runs (fragmentation)
 * @param requests                requests holding slots
 * @param meanExtentsPerRequest   mean extents per request, 0 when none
 * @param maxExtentsPerRequest    most extents any request holds
 */
public record CacheStats(int capacityTokens, int usedTokens, int freeTokens, int largestFreeExtent, int freeExtents,
                         int requests, double meanExtentsPerRequest, int maxExtentsPerRequest) {
}
